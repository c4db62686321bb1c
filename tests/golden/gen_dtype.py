# Golden values for tests/core/test_dtype.cpp. Run: python3 tests/golden/gen_dtype.py
import struct
import torch

names = ['float32', 'float64', 'bfloat16', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']
soma = {'float32': 'kFloat32', 'float64': 'kFloat64', 'bfloat16': 'kBFloat16', 'float16': 'kFloat16',
        'int64': 'kInt64', 'int32': 'kInt32', 'int16': 'kInt16', 'int8': 'kInt8', 'uint8': 'kUInt8', 'bool': 'kBool'}

print('// promote_types(row, column), in the order of DType (torch.promote_types).')
print('const DType kPromote[10][10] = {')
for a in names:
    row = []
    for b in names:
        r = str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace('torch.', '')
        row.append(soma[r])
    print('    {' + ', '.join(row) + '},')
print('};')

def bits(x, dt):
    return torch.tensor([x], dtype=torch.float32).to(dt).view(torch.int16).item() & 0xffff

vals = [1.0, 1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-20, 65504.0, 65519.99, 65520.0, 1e5, 1e-8, 6e-8,
        2**-25, 3 * 2**-26, -0.0, float('inf'), -float('inf'), float('nan'), 1 + 2**-8, 1 + 3 * 2**-8,
        3.0e38, -1.17e-38, 0.1, -2.7]
print('// float32 value, float16 bits, bfloat16 bits')
print('const std::tuple<float, uint16_t, uint16_t> kHalfCases[] = {')
for v in vals:
    f = struct.unpack('f', struct.pack('f', v))[0]
    lit = {float('inf'): 'INFINITY', -float('inf'): '-INFINITY'}.get(f, repr(f) + 'f' if f == f else 'NAN')
    if lit == '-0.0f': lit = '-0.0f'
    print('    {%s, 0x%04x, 0x%04x},' % (lit, bits(v, torch.float16), bits(v, torch.bfloat16)))
print('};')

src = [-2.7, -0.5, 0.0, 0.5, 1.5, 2.5, 127.9, -128.9]
print('// float64 values converted to int64, int32, int16, int8 (truncation toward zero) and bool')
print('const double kFloatToIntIn[] = {' + ', '.join(repr(v) for v in src) + '};')
for dt in ['int64', 'int32', 'int16', 'int8', 'bool']:
    out = torch.tensor(src, dtype=torch.float64).to(getattr(torch, dt)).tolist()
    print('const std::vector<int64_t> kTo_%s = {%s};' % (dt, ', '.join(str(int(v)) for v in out)))

print('// result dtypes with scalars and 0-d tensors')
r = lambda a, b: str((a + b).dtype).replace('torch.', '')
t = torch.tensor
cases = [
    ('int32 tensor + 2.5', r(t([1], dtype=torch.int32), 2.5)),
    ('float16 tensor + 2.5', r(t([1], dtype=torch.float16), 2.5)),
    ('int32 tensor + 2', r(t([1], dtype=torch.int32), 2)),
    ('bool tensor + 2', r(t([True]), 2)),
    ('bool tensor + true', r(t([True]), True)),
    ('uint8 tensor + 1', r(t([1], dtype=torch.uint8), 1)),
    ('int32 tensor + 0-d float64', r(t([1], dtype=torch.int32), t(2.5, dtype=torch.float64))),
    ('float32 tensor + 0-d float64', r(t([1.]), t(2.5, dtype=torch.float64))),
    ('int8 tensor + 0-d int64', r(t([1], dtype=torch.int8), t(2))),
    ('0-d int32 + 0-d float16', r(t(1, dtype=torch.int32), t(2., dtype=torch.float16))),
    ('float16 tensor + 0-d float32', r(t([1.], dtype=torch.float16), t(2.))),
    ('int8 tensor + uint8 tensor', r(t([1], dtype=torch.int8), t([1], dtype=torch.uint8))),
    ('int16 tensor + 2', r(t([1], dtype=torch.int16), 2)),
    ('int16 tensor + 0-d int64', r(t([1], dtype=torch.int16), t(2))),
]
for name, res in cases:
    print('// %s -> %s' % (name, res))
