import json
import struct

import torch


# --------------------------------------------------------------------------
# safetensors, read and written here when the safetensors package is absent
# --------------------------------------------------------------------------

def safetensors_bytes(tensors, metadata=None):
    try:
        from safetensors.torch import save
        return save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    except ImportError:
        pass
    header, offset, blobs = {}, 0, []
    if metadata:
        header['__metadata__'] = metadata
    for name in sorted(tensors):
        data = tensors[name].detach().float().contiguous().cpu().numpy().tobytes()
        header[name] = dict(dtype='F32', shape=list(tensors[name].shape), data_offsets=[offset, offset + len(data)])
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header)
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack('<Q', len(text)) + text.encode() + b''.join(blobs)


def save_safetensors(tensors, path, metadata=None):
    write_atomic(path, safetensors_bytes(tensors, metadata))


def load_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ScriptError(f'{path}: {name} is {entry["dtype"]}; only F32 is supported')
        begin, end = entry['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[8 + n + begin:8 + n + end]), dtype=torch.float32).reshape(entry['shape'])
    return out
