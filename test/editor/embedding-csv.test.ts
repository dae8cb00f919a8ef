/** The embedding's CSV: each row's class by name (and index), a name a spreadsheet would run stays text. */
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/runtime/data/dataset';
import { embeddingCsv } from '../../src/editor/embedding-csv';

describe('embeddingCsv', () => {
  it('writes x, y, the class name and its index per probe image, in order (CRLF lines)', () => {
    const csv = embeddingCsv(new Float32Array([0.5, -1.25, 2, 3, -0.125, 0]), new Uint8Array([7, 0, 9]), FASHION_MNIST_CLASSES);
    expect(csv).toBe('x,y,label,labelIndex\r\n0.5,-1.25,Sneaker,7\r\n2,3,T-shirt/top,0\r\n-0.125,0,Ankle boot,9\r\n');
  });

  it('keeps a class name that looks like a formula as text, and quotes commas and quotes', () => {
    const names = ['=HYPERLINK("http://x","y")', '+1', 'cats, big', '@SUM(A1)', '-2'];
    const rows = embeddingCsv(new Float32Array(10), new Uint8Array([0, 1, 2, 3, 4]), names).split('\r\n').slice(1, -1);
    expect(rows).toEqual(['0,0,"\'=HYPERLINK(""http://x"",""y"")",0', "0,0,'+1,1", '0,0,"cats, big",2', "0,0,'@SUM(A1),3", "0,0,'-2,4"]);
  });

  it('stops at the shorter of points and labels; an index without a name has an empty name', () => {
    expect(embeddingCsv(new Float32Array([1, 2, 3, 4]), new Uint8Array([1, 5, 0]), ['a', 'b'])).toBe('x,y,label,labelIndex\r\n1,2,b,1\r\n3,4,,5\r\n');
  });
});
