#pragma once
// Checking soma::Error messages in tests: error_of(f) is the message of the soma::Error that f
// throws ("(no error)" when it throws none), and EXPECT_ERROR(expression, text) expects the
// expression to throw one whose message contains `text`.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "soma/error.h"

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const soma::Error& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_ERROR(expression, text)                                                  \
  EXPECT_NE(error_of([&] { (void)(expression); }).find(text), std::string::npos) \
      << error_of([&] { (void)(expression); })
