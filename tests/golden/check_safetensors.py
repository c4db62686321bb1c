#!/usr/bin/env python3
"""Checks a safetensors file independently of soma: the header, the offsets and the data.

Run: python3 tests/golden/check_safetensors.py FILE
Prints each tensor (dtype, shape, first values) and exits with status 1 on any problem.
"""
import json
import struct
import sys

SIZES = {'F32': 4, 'F64': 8, 'BF16': 2, 'F16': 2, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}
FORMATS = {'F32': 'f', 'F64': 'd', 'F16': 'e', 'I64': 'q', 'I32': 'i', 'I16': 'h', 'I8': 'b', 'U8': 'B', 'BOOL': '?'}


def check(path):
    blob = open(path, 'rb').read()
    assert len(blob) >= 8, 'file too short'
    (n,) = struct.unpack('<Q', blob[:8])
    assert 8 + n <= len(blob), 'header length %d past the end of the file' % n
    assert n % 8 == 0, 'header length %d is not a multiple of 8' % n
    text = blob[8:8 + n].decode('utf-8')
    assert text.startswith('{'), 'header does not start with {'
    header = json.loads(text)
    keys = [k for k in header if k != '__metadata__']
    assert keys == sorted(keys), 'header keys are not sorted'
    meta = header.get('__metadata__', {})
    assert all(isinstance(v, str) for v in meta.values()), 'non-string metadata'
    data = blob[8 + n:]
    spans = []
    for name in keys:
        info = header[name]
        dtype, shape, (begin, end) = info['dtype'], info['shape'], info['data_offsets']
        numel = 1
        for s in shape:
            numel *= s
        assert end - begin == numel * SIZES[dtype], '%s: size mismatch' % name
        assert begin % SIZES[dtype] == 0, '%s: offset %d not aligned' % (name, begin)
        spans.append((begin, end, name))
        raw = data[begin:end]
        if dtype == 'BF16':
            values = [struct.unpack('<f', struct.pack('<I', h << 16))[0]
                      for (h,) in struct.iter_unpack('<H', raw)]
        else:
            values = [v for (v,) in struct.iter_unpack('<' + FORMATS[dtype], raw)]
        if dtype == 'BOOL':
            assert all(b in (0, 1) for b in raw), '%s: bad bool byte' % name
        print('%s %s %s %s' % (name, dtype, shape, values[:8]))
    pos = 0
    for begin, end, name in sorted(spans):
        assert begin == pos, '%s: gap or overlap at %d' % (name, begin)
        pos = end
    assert pos == len(data), 'data section has %d bytes, tensors cover %d' % (len(data), pos)
    print('metadata', meta)
    print('OK')


if __name__ == '__main__':
    try:
        check(sys.argv[1])
    except Exception as e:  # noqa: BLE001 (any problem fails the check)
        print('FAIL:', e)
        sys.exit(1)
