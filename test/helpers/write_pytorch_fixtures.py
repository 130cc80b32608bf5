"""Writes .pt fixtures with the real torch.save, for test/unit/readers.pytorch.test.ts.

Values follow test/helpers/readerFixtures.ts exactValues(length, offset): sixteenths that float16
and bfloat16 hold exactly, so every dtype reads back bit for bit.
Usage: python3 write_pytorch_fixtures.py OUT_DIR N D
"""
import collections
import os
import pickle
import sys
import zipfile

import torch


def exact(length, offset):
    k = torch.arange(length, dtype=torch.float64)
    return (((k * 7 + offset) % 17) - 8.5) / 8


def torch_like_zip(path, pickle_bytes):
    """An archive laid out as torch.save lays it out, around a pickle torch.save would never write."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('evil/data.pkl', pickle_bytes)
        z.writestr('evil/version', '3\n')


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ('touch ' + self.marker,))


def main():
    out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    image = exact(n * d, 1).reshape(n, d).float()
    text = exact(n * d, 4).reshape(n, d).float()
    at = lambda name: os.path.join(out, name)

    torch.save(torch.stack([image, text]), at('stacked.pt'))
    torch.save(image, at('clip_image.pt'))
    torch.save(text, at('clip_text.pt'))
    torch.save((image, text), at('tuple.pth'))
    torch.save([image, text], at('list.pt'))
    torch.save({'image_features': image, 'text_features': text, 'epoch': 3, 'note': 'CLIP_benchmark'}, at('features.pt'))
    torch.save(collections.OrderedDict(image_embeds=image.double(), text_embeds=text.half(),
                                       captions=['caption %d' % k for k in range(n)]), at('ordered.pt'))
    torch.save({'embeddings': {'image_features': image, 'text_features': text}}, at('nested.pt'))

    # Views of larger storages: a transpose (strides (1, n)) and a strided slice with a storage offset.
    transposed = image.t().contiguous().t()
    big = torch.zeros(2 * n + 1, d + 3)
    big[1::2, 2:d + 2] = text
    sliced = big[1::2, 2:d + 2]
    assert not transposed.is_contiguous() and not sliced.is_contiguous()
    torch.save({'image_features': transposed, 'text_features': sliced}, at('views.pt'))
    torch.save({'image_features': image.bfloat16(), 'text_features': text.bfloat16()}, at('bfloat16.pt'))

    model = torch.nn.Sequential(torch.nn.Linear(d, 3), torch.nn.BatchNorm1d(3))
    torch.save(model.state_dict(), at('state_dict.pt'))
    torch.save(model, at('whole_model.pt'))
    torch.save(torch.stack([image, text]), at('legacy.pt'), _use_new_zipfile_serialization=False)

    good = open(at('stacked.pt'), 'rb').read()
    open(at('truncated.pt'), 'wb').write(good[: len(good) // 2])

    torch_like_zip(at('reduce_os_system.pt'), pickle.dumps(RunsACommand(at('pwned')), protocol=2))
    # The spelling of the issue: GLOBAL 'os system' by hand (pickle itself writes posix.system on Linux).
    torch_like_zip(at('global_os_system.pt'), b'\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.')
    # torch.save itself pickles an object's __reduce__: the forbidden global sits after real tensors.
    torch.save({'image_features': image, 'text_features': text, 'hook': RunsACommand(at('pwned'))}, at('tensors_then_os_system.pt'))

if __name__ == '__main__':
    main()
