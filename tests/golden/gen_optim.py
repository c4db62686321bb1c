# Golden values for tests/optim/test_optimizers.cpp and test_schedule.cpp: PyTorch's optimizers
# and learning-rate schedulers. Run: python3 tests/golden/gen_optim.py
import math

import torch

torch.set_default_dtype(torch.float64)
STEPS = 8


def lit(t):
    return "{" + ", ".join(f"{v:.17g}" for v in t.flatten().tolist()) + "}"


def params():
    w = torch.linspace(-1, 1, 6).reshape(2, 3).requires_grad_()
    b = torch.tensor([0.5, -0.3, 0.2]).requires_grad_()
    return [w, b]


def fake_grad(p):  # the same formula in the C++ test
    return torch.sin(3 * p) + 0.1 * p * p


def run(make, steps=STEPS):
    ps = params()
    opt = make(ps)
    for _ in range(steps):
        for p in ps:
            p.grad = fake_grad(p.detach())
        opt.step()
    return ps


class NAdamReference(torch.optim.Optimizer):
    """NAdam with mu_product_next = prod_{i<=t+1} mu_i (torch >= 2.0; 1.13 multiplies mu twice)."""

    def __init__(self, ps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3):
        super().__init__(ps, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                  momentum_decay=momentum_decay))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            b1, b2 = g["betas"]
            for p in g["params"]:
                s = self.state[p]
                if not s:
                    s.update(step=0, mu_product=1.0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                s["step"] += 1
                t = s["step"]
                grad = p.grad + g["weight_decay"] * p
                mu = b1 * (1 - 0.5 * 0.96 ** (t * g["momentum_decay"]))
                mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * g["momentum_decay"]))
                s["mu_product"] *= mu
                s["m"].mul_(b1).add_(grad, alpha=1 - b1)
                s["v"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
                denom = s["v"].div(1 - b2 ** t).sqrt().add_(g["eps"])
                p.addcdiv_(grad, denom, value=-g["lr"] * (1 - mu) / (1 - s["mu_product"]))
                p.addcdiv_(s["m"], denom, value=-g["lr"] * mu_next / (1 - s["mu_product"] * mu_next))


O = torch.optim
cases = [
    ("SGD_plain", lambda ps: O.SGD(ps, lr=0.1)),
    ("SGD_momentum", lambda ps: O.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD_nesterov", lambda ps: O.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD_maximize", lambda ps: O.SGD(ps, lr=0.05, momentum=0.5, maximize=True)),
    ("Adagrad", lambda ps: O.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad_maximize", lambda ps: O.Adagrad(ps, lr=0.1, maximize=True)),
    ("RMSprop", lambda ps: O.RMSprop(ps, lr=0.01)),
    ("RMSprop_centered", lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adadelta", lambda ps: O.Adadelta(ps, lr=1.0, rho=0.8, weight_decay=0.1)),
    ("Adam", lambda ps: O.Adam(ps, lr=0.1)),
    ("Adam_amsgrad", lambda ps: O.Adam(ps, lr=0.1, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", lambda ps: O.AdamW(ps, lr=0.1, weight_decay=0.1, amsgrad=True)),
    ("Adamax", lambda ps: O.Adamax(ps, lr=0.1, weight_decay=0.1)),
    ("NAdam", lambda ps: NAdamReference(ps, lr=0.1, weight_decay=0.1)),
    ("RAdam", lambda ps: O.RAdam(ps, lr=0.1, weight_decay=0.1)),
]
print(f"// {STEPS} steps from w = linspace(-1, 1, 6).reshape(2, 3), b = [0.5, -0.3, 0.2], grad = sin(3p) + 0.1p^2")
for name, make in cases:
    w, b = run(make)
    print(f'{{"{name}", {lit(w.detach())}, {lit(b.detach())}}},')


def lrs(make_sched, epochs, lr=0.1):
    opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    s = make_sched(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return out


S = O.lr_scheduler
scheds = [
    ("StepLR", lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10),
    ("MultiStepLR", lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1), 8),
    ("ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.9), 6),
    ("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.01), 13),
    ("CosineAnnealingWarmRestarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), 16),
    ("LinearLR", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7),
    ("OneCycleLR_cos", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, cycle_momentum=False), 10),
    ("OneCycleLR_linear", lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=12, pct_start=0.25,
                                                 anneal_strategy="linear", div_factor=10, final_div_factor=100,
                                                 cycle_momentum=False), 12),
    ("SequentialLR", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                  S.CosineAnnealingLR(o, T_max=6)], milestones=[3]), 12),
]
print("// learning rates (base lr 0.1), one per epoch, read before each scheduler step")
for name, make, epochs in scheds:
    print(f'{{"{name}", {lit(torch.tensor(lrs(make, epochs)))}}},')

opt = O.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
plateau = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.1)
metrics = [1.0, 0.9, 0.95, 0.9, 0.899, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
out = []
for m in metrics:
    plateau.step(m)
    out.append(opt.param_groups[0]["lr"])
print(f"// ReduceLROnPlateau(min, factor 0.5, patience 2, threshold 0.01 rel, cooldown 1, min_lr 0.1) on {metrics}")
print(f"{lit(torch.tensor(out))}")

print("// OneCycleLR(max_lr 1, total_steps 10, three_phase) with cycled momentum: (lr, beta1) for Adam, then "
      "(lr, momentum) for SGD")
for make_opt in [lambda ps: O.Adam(ps, lr=0.1), lambda ps: O.SGD(ps, lr=0.1, momentum=0.9)]:
    opt = make_opt([torch.zeros(1, requires_grad=True)])
    s = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, three_phase=True)
    out = []
    for _ in range(10):
        g = opt.param_groups[0]
        out += [g["lr"], g["betas"][0] if "betas" in g else g["momentum"]]
        opt.step()
        s.step()
    print(f"{lit(torch.tensor(out))}")


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


print("// LBFGS on the Rosenbrock function from (-1.5, 2): parameters after each of 3 step(closure) calls")
for name, kwargs in [("plain", dict(lr=0.1, max_iter=5, history_size=4)),
                     ("strong_wolfe", dict(lr=1, max_iter=10, history_size=5, line_search_fn="strong_wolfe"))]:
    x = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = O.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    out = []
    for _ in range(3):
        opt.step(closure)
        out += x.detach().tolist()
    print(f'{{"{name}", {lit(torch.tensor(out))}}},')
