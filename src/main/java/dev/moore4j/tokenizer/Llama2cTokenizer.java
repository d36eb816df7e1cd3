package dev.moore4j.tokenizer;

import dev.moore4j.MooreException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c tokenizer ({@code tokenizer.bin}/{@code tok512.bin}): a SentencePiece-style BPE vocabulary
 * with merge scores. Encoding prepends a dummy space, splits into UTF-8 characters (unknown bytes fall
 * back to byte tokens {@code <0xXX>} = byte + 3), then repeatedly merges the adjacent pair whose merged
 * piece has the highest score.
 */
public final class Llama2cTokenizer implements TextTokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final float[] scores;
    private final Map<String, Integer> index = new HashMap<>();

    private Llama2cTokenizer(String[] pieces, byte[][] pieceBytes, float[] scores) {
        this.pieces = pieces;
        this.pieceBytes = pieceBytes;
        this.scores = scores;
        for (int i = 0; i < pieces.length; i++) {
            index.putIfAbsent(pieces[i], i);
        }
    }

    /** Reads a tokenizer file holding {@code vocabSize} entries. */
    public static Llama2cTokenizer load(Path path, int vocabSize) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new MooreException(path + ": cannot read tokenizer: " + e.getMessage(), e);
        }
        if (vocabSize < 1 || vocabSize > (all.length - 4) / 8) { // every entry takes at least 8 bytes: refuse before allocating
            throw new MooreException(path + ": tokenizer file of " + all.length + " bytes cannot hold " + vocabSize + " entries");
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        String[] pieces = new String[vocabSize];
        byte[][] bytes = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        try {
            b.getInt(); // max token length
            for (int i = 0; i < vocabSize; i++) {
                scores[i] = b.getFloat();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) {
                    throw new MooreException(path + ": corrupt tokenizer entry " + i + " (length " + len + ")");
                }
                bytes[i] = new byte[len];
                b.get(bytes[i]);
                pieces[i] = new String(bytes[i], StandardCharsets.UTF_8);
            }
        } catch (BufferUnderflowException e) {
            throw new MooreException(path + ": truncated tokenizer file (expected " + vocabSize + " entries)");
        }
        return new Llama2cTokenizer(pieces, bytes, scores);
    }

    @Override
    public long[] encode(String text) {
        return encode(text, true);
    }

    public long[] encode(String text, boolean bos) {
        List<Integer> tokens = new ArrayList<>();
        if (!text.isEmpty()) {
            Integer space = index.get(" ");
            if (space != null) {
                tokens.add(space);
            }
        }
        int[] cps = text.codePoints().toArray();
        for (int cp : cps) {
            String ch = new String(Character.toChars(cp));
            Integer id = index.get(ch);
            if (id != null) {
                tokens.add(id);
            } else {
                for (byte by : ch.getBytes(StandardCharsets.UTF_8)) {
                    int fallback = (by & 0xff) + 3;
                    if (fallback >= pieces.length) {
                        throw new MooreException(String.format("tokenizer has no byte token <0x%02X> for '%s' (vocabulary of %d)", by & 0xff, ch, pieces.length));
                    }
                    tokens.add(fallback);
                }
            }
        }
        while (true) {
            float best = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                Integer id = index.get(pieces[tokens.get(i)] + pieces[tokens.get(i + 1)]);
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        long[] out = new long[tokens.size() + (bos ? 1 : 0)];
        int o = 0;
        if (bos) {
            out[o++] = BOS;
        }
        for (int t : tokens) {
            out[o++] = t;
        }
        return out;
    }

    @Override
    public String decode(long[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long prev = BOS;
        for (long id : ids) {
            if (id == BOS || id == EOS) {
                prev = id;
                continue;
            }
            out.writeBytes(pieceBytes(prev, id));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String decodeNext(long previous, long token) {
        return new String(pieceBytes(previous, token), StandardCharsets.UTF_8);
    }

    /** Bytes of a token; after BOS the leading space is dropped, {@code <0xXX>} is a raw byte. */
    private byte[] pieceBytes(long prev, long id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + pieces.length);
        }
        String p = pieces[(int) id];
        if (prev == BOS && p.startsWith(" ")) {
            p = p.substring(1);
        }
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
            } catch (NumberFormatException ignored) {
                // a literal piece that merely looks like a byte token
            }
        }
        return p.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }
}
