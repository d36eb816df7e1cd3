package dev.moore4j.io;

import dev.moore4j.MooreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * An exclusive lock on an output directory (a suite's, a run's) for as long as a command writes it. Runs are resumable,
 * so a second command started on the same directory (another terminal, a script run twice) would otherwise train the
 * same runs at once and overwrite each other's checkpoints and records; it stops at start instead, naming the holder.
 * The operating system drops the lock when its process ends, however it ends, so a killed run never leaves a stale one.
 */
public final class DirLock implements AutoCloseable {
    /** The lock file inside the directory; it holds the holder's process id and command, and stays after release. */
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (created if missing) for {@code command}, or fails naming the process that holds it. On a file
     * system without locks it returns an inert lock: the command runs, unguarded, as before.
     */
    public static DirLock acquire(Path dir, String command) {
        Path file = dir.resolve(FILE);
        FileChannel ch;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new MooreException(dir + ": cannot create the lock file " + FILE + ": " + e.getMessage());
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process (a second command in the same JVM)
        } catch (IOException e) {
            return new DirLock(ch, null); // no locks on this file system
        }
        if (lock == null) {
            String holder = note(file);
            close(ch);
            throw new MooreException(dir + " is in use by " + holder + "; wait for it to finish or stop it, then run this again");
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("process " + ProcessHandle.current().pid() + " (" + command + ")\n").getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            // the lock holds without its note; a second command then names no holder
        }
        return new DirLock(ch, lock);
    }

    /**
     * The note of the process that holds the directory's lock now, or empty when none does. It takes the lock for an
     * instant to find out, so it reads a directory that a command may be about to start on; it never waits.
     */
    public static Optional<String> holder(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe;
            try {
                probe = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return Optional.of(note(file));
            }
            if (probe == null) {
                return Optional.of(note(file));
            }
            probe.release();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // unreadable, or no locks on this file system: nothing known to hold it
        }
    }

    private static String note(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "another process" : s;
        } catch (IOException e) {
            return "another process";
        }
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing a channel we only read: nothing to lose
        }
    }

    @Override
    public void close() {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } catch (IOException ignored) {
            // closing the channel below releases it too
        }
        close(channel);
    }
}
