// Instantiates a head-size template for each supported N (see wkv_heads.h).
#pragma once

#define RWKV_DISPATCH_HEAD_SIZE(n, N, ...) \
  switch (n) {                             \
    case 8: {                              \
      constexpr int N = 8;                 \
      __VA_ARGS__;                         \
    } break;                               \
    case 16: {                             \
      constexpr int N = 16;                \
      __VA_ARGS__;                         \
    } break;                               \
    case 32: {                             \
      constexpr int N = 32;                \
      __VA_ARGS__;                         \
    } break;                               \
    case 64: {                             \
      constexpr int N = 64;                \
      __VA_ARGS__;                         \
    } break;                               \
    case 128: {                            \
      constexpr int N = 128;               \
      __VA_ARGS__;                         \
    } break;                               \
    default: return cudaErrorInvalidValue; \
  }
