package dev.moore4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Weight hashes by file identity, under {@code cache/weights-hash/}: one small file per checkpoint, holding the digest
 * of the names read and the hash of their values. A file that changes changes its identity (size, time), so a stale
 * entry is never found; an unwritable cache only costs the hashing.
 */
final class HashCache {
    private HashCache() {}

    private static Path entry(String identity) {
        try {
            byte[] key = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return SharedPaths.cache().resolve("weights-hash").resolve(HexFormat.of().formatHex(key).substring(0, 32));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {read order digest, hash}, or null when there is no well-formed entry. */
    static String[] read(String identity) {
        try {
            String[] f = Files.readString(entry(identity)).trim().split(" ");
            return f.length == 2 && f[0].length() == 64 && f[1].length() == 16 ? f : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static void write(String identity, String readOrder, String hash) {
        try {
            Path p = entry(identity);
            Files.createDirectories(p.getParent());
            AtomicFiles.writeString(p, readOrder + " " + hash + "\n");
        } catch (IOException | RuntimeException e) {
            // no cache: the next open hashes again
        }
    }
}
