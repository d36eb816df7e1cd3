package dev.moore4j.io;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Large jar entries (the ONNX models inside the langchain4j jars are deflated, 90 MB and more) extracted
 * once into a cache folder, so that later starts read the file instead of inflating the entry again (most of
 * a second each time), and read only the parts they need. Each use checks the cached copy's size and CRC-32
 * against the jar's entry, so a stale or damaged copy is replaced, never read.
 */
public final class JarEntryCache {
    private final Path dir;

    public JarEntryCache(Path dir) {
        this.dir = dir;
    }

    /** The default place: {@code $MOORE4J_CACHE/jars} (see {@link SharedPaths#cache()}). */
    public static JarEntryCache standard() {
        return new JarEntryCache(SharedPaths.cache().resolve("jars"));
    }

    /** The entry as a checked file in the cache, extracted now if needed; null when the cache cannot be written. */
    public Path file(Path jar, ZipFile zip, String name) {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new MooreException(jar + ": missing entry '" + name + "'");
        }
        if (e.getSize() < 0 || e.getCrc() < 0) {
            return null;
        }
        Path file = dir.resolve(jar.getFileName().toString()).resolve(name);
        if (valid(file, e)) {
            return file;
        }
        if (!extract(zip, e, file)) {
            return null;
        }
        if (!valid(file, e)) {
            throw new MooreException(jar + ": entry '" + name + "' does not match its CRC-32 once extracted to " + file);
        }
        return file;
    }

    /** The entry in the lowest-level form a caller can need: a whole, checked, in-memory copy. */
    public static byte[] readEntry(Path jar, ZipFile zip, String name) {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new MooreException(jar + ": missing entry '" + name + "'");
        }
        return readEntry(jar, zip, e);
    }

    private static boolean extract(ZipFile zip, ZipEntry e, Path file) {
        try {
            AtomicFiles.write(file, ch -> {
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] buf = new byte[1 << 20];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                }
            });
            return true;
        } catch (MooreException cannotWrite) {
            return false;
        }
    }

    /** Whether the cached copy holds the entry's bytes (false when missing or unreadable). */
    private static boolean valid(Path file, ZipEntry e) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != e.getSize()) {
                return false;
            }
            CRC32 crc = new CRC32();
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) > 0) {
                crc.update(buf.flip());
                buf.clear();
            }
            return crc.getValue() == e.getCrc();
        } catch (IOException missingOrUnreadable) {
            return false;
        }
    }

    /** The whole entry in memory, at its exact size (readAllBytes would grow and copy a model-sized buffer). */
    public static byte[] readEntry(Path jar, ZipFile zip, ZipEntry e) {
        try (InputStream in = zip.getInputStream(e)) {
            if (e.getSize() < 0 || e.getSize() > Integer.MAX_VALUE - 8) {
                return in.readAllBytes();
            }
            byte[] out = new byte[(int) e.getSize()];
            int n = in.readNBytes(out, 0, out.length);
            if (n != out.length || in.read() != -1) {
                throw new MooreException(jar + ": entry '" + e.getName() + "' is not " + out.length + " bytes as its header says");
            }
            return out;
        } catch (IOException x) {
            throw new MooreException(jar + ": cannot read entry '" + e.getName() + "': " + x.getMessage(), x);
        }
    }
}
