package dev.moore4j.io;

import java.nio.file.Path;

/** A child process for {@link DirLockTest}: locks the directory given, says so, and holds it until killed. */
public final class DirLockHolder {
    private DirLockHolder() {}

    public static void main(String[] args) throws Exception {
        DirLock lock = DirLock.acquire(Path.of(args[0]), "the test's holder");
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(600_000); // a hang guard: the test kills this process long before
        lock.close();
    }
}
