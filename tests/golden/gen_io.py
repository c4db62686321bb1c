#!/usr/bin/env python3
"""An independent safetensors writer for tests/io/test_safetensors.cpp.

Builds a file with only json and struct, following the public safetensors format (no soma
code), and prints its bytes as a C++ hex string literal. The tensors are laid out in the order
listed (not aligned, not sorted), and the JSON uses Python's default separators.

Run: python3 tests/golden/gen_io.py
"""
import json
import struct

# name: (dtype, shape, struct format, values)
tensors = [
    ('u8', 'U8', [5], 'B', [0, 1, 128, 255, 7]),
    ('weight', 'F32', [2, 3], 'f', [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0]),
    ('mask', 'BOOL', [2, 1], '?', [True, False]),
    ('bias', 'F64', [3], 'd', [1 / 3, -2.5, 1e300]),
    ('half', 'F16', [2, 2], 'e', [1.0, -2.0, 0.5, 65504.0]),
    ('i8', 'I8', [2, 2], 'b', [-128, 127, 0, -5]),
    ('bf', 'BF16', [3], 'H', [0x3f80, 0xc060, 0x3e20]),  # 1.0, -3.5, 0.15625
    ('steps', 'I64', [], 'q', [123456789012]),
    ('empty', 'F32', [0, 3], 'f', []),
    ('idx', 'I32', [4], 'i', [-1, 0, 7, 2147483647]),
]

header = {'__metadata__': {'format': 'pt', 'note': 'written by gen_io.py'}}
data = b''
for name, dtype, shape, fmt, values in tensors:
    raw = struct.pack('<%d%s' % (len(values), fmt), *values)
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [len(data), len(data) + len(raw)]}
    data += raw
text = json.dumps(header).encode()
text += b' ' * (-len(text) % 8)
blob = struct.pack('<Q', len(text)) + text + data

hexed = blob.hex()
print('// %d bytes, from tests/golden/gen_io.py' % len(blob))
print('const char* kIndependentFile =')
for i in range(0, len(hexed), 96):
    print('    "%s"' % hexed[i:i + 96] + (';' if i + 96 >= len(hexed) else ''))
