#pragma once
// Neural-network building blocks: modules, layers, initializers and the functional forms.
#include "soma/nn/container.h"
#include "soma/nn/conv.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/nn/pooling.h"
