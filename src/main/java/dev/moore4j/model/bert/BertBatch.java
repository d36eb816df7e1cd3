package dev.moore4j.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.tokenizer.TextTokenizer;

import java.util.Arrays;
import java.util.List;

/** Token ids, attention mask and token types of a padded batch, on the host. */
public record BertBatch(long[][] ids, long[][] mask, long[][] types) {

    /** Tokenizes texts (or sentence pairs when {@code second} is non-null) and pads to the longest. */
    public static BertBatch of(TextTokenizer tok, List<String> first, List<String> second) {
        int n = first.size();
        long[][] raw = new long[n][];
        long[][] rawTypes = new long[n][];
        int max = 1;
        for (int i = 0; i < n; i++) {
            if (second == null) {
                raw[i] = tok.encode(first.get(i));
                rawTypes[i] = new long[raw[i].length];
            } else {
                raw[i] = tok.encodePair(first.get(i), second.get(i));
                rawTypes[i] = tok.pairTypes(first.get(i), second.get(i));
            }
            max = Math.max(max, raw[i].length);
        }
        long[][] ids = new long[n][max];
        long[][] mask = new long[n][max];
        long[][] types = new long[n][max];
        for (int i = 0; i < n; i++) {
            System.arraycopy(raw[i], 0, ids[i], 0, raw[i].length);
            System.arraycopy(rawTypes[i], 0, types[i], 0, raw[i].length);
            Arrays.fill(mask[i], 0, raw[i].length, 1L);
        }
        return new BertBatch(ids, mask, types);
    }

    public int size() {
        return ids.length;
    }

    public int length() {
        return ids.length == 0 ? 0 : ids[0].length;
    }

    /** ids, mask, types as int64 [B, S] arrays. */
    public NDList toNd(NDManager m) {
        return new NDList(nd(m, ids), nd(m, mask), nd(m, types));
    }

    private static NDArray nd(NDManager m, long[][] rows) {
        int b = rows.length;
        int s = rows[0].length;
        long[] flat = new long[b * s];
        for (int i = 0; i < b; i++) {
            System.arraycopy(rows[i], 0, flat, i * s, s);
        }
        return m.create(flat, new Shape(b, s));
    }
}
