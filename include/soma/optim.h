#pragma once
// soma::optim: optimizers, learning-rate schedules, gradient clipping, regularization
// penalties, parameter averaging and early stopping.
#include "soma/optim/adadelta.h"
#include "soma/optim/adagrad.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/optim/early_stopping.h"
#include "soma/optim/ema.h"
#include "soma/optim/optimizer.h"
#include "soma/optim/regularization.h"
#include "soma/optim/rmsprop.h"
#include "soma/optim/schedule.h"
#include "soma/optim/second_order.h"
#include "soma/optim/sgd.h"
