#pragma once
// Neural-network building blocks: modules, layers, initializers and the functional forms.
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/embedding.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/misc.h"
#include "soma/nn/module.h"
#include "soma/nn/normalization.h"
