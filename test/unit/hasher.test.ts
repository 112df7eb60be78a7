// The image digests: BLAKE3 from its native build (published test vectors), SHA-256 as the fallback.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { ALGORITHM_NAMES, DIGEST_ALGORITHMS, newHasher, preferredAlgorithm } from '../../src/integrity/hasher.js';

const digest = (algorithm: 'blake3' | 'sha256', ...parts: Uint8Array[]) => {
  const hasher = newHasher(algorithm);
  for (const part of parts) hasher.update(part);
  return hasher.digest();
};

test('BLAKE3 is what new checkpoints record on this platform (its prebuilt build loads)', () => {
  assert.equal(preferredAlgorithm(), 'blake3');
  assert.deepEqual([...DIGEST_ALGORITHMS], ['blake3', 'sha256']);
  assert.deepEqual(ALGORITHM_NAMES, { blake3: 'BLAKE3', sha256: 'SHA-256' });
});

test('BLAKE3 gives the reference digests of the empty input and of "abc"', () => {
  assert.equal(digest('blake3'), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  assert.equal(
    digest('blake3', Buffer.from('abc')),
    '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
  );
});

test('hashing in pieces equals hashing at once, for both algorithms, across chunk boundaries', () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  for (const algorithm of DIGEST_ALGORITHMS) {
    const whole = digest(algorithm, data);
    assert.equal(
      digest(algorithm, data.subarray(0, 1025), data.subarray(1025, 1 << 20), data.subarray(1 << 20)),
      whole,
    );
    assert.match(whole, /^[0-9a-f]{64}$/);
  }
  assert.equal(digest('sha256', data), createHash('sha256').update(data).digest('hex'));
  assert.notEqual(digest('blake3', data), digest('sha256', data));
});
