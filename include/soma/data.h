#pragma once
// soma::data: datasets, the DataLoader, file readers, transforms and augmentation, text and tokenizers.
#include "soma/data/augment.h"
#include "soma/data/bpe.h"
#include "soma/data/csv.h"
#include "soma/data/dataloader.h"
#include "soma/data/dataset.h"
#include "soma/data/fashion_mnist.h"
#include "soma/data/idx.h"
#include "soma/data/image.h"
#include "soma/data/split.h"
#include "soma/data/text.h"
#include "soma/data/tokenizer.h"
#include "soma/data/transforms.h"
