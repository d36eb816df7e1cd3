package dev.moore4j.io;

import dev.moore4j.MooreException;
import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One command at a time writes an output directory; a killed holder leaves no stale lock. */
class DirLockTest {
    @Test
    void aSecondHolderInThisProcessIsRefusedUntilTheFirstReleases(@TempDir Path dir) {
        Path out = dir.resolve("suite");
        try (DirLock first = DirLock.acquire(out, "moore suite demo")) {
            assertThatThrownBy(() -> DirLock.acquire(out, "moore suite demo")).isInstanceOf(MooreException.class)
                    .hasMessage(out + " is in use by process " + ProcessHandle.current().pid() + " (moore suite demo); wait for it to finish or stop it, then run "
                            + "this again");
        }
        DirLock.acquire(out, "again").close();
    }

    @Test
    void anotherProcessIsRefusedWhileTheHolderLivesAndAdmittedOnceItIsKilled(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                DirLockHolder.class.getName(), out.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> DirLock.acquire(out, "moore train")).isInstanceOf(MooreException.class)
                    .hasMessageContaining("in use by process " + holder.pid() + " (the test's holder)");
            assertThat(DirLock.holder(out)).contains("process " + holder.pid() + " (the test's holder)");
        } finally {
            holder.destroyForcibly(); // SIGKILL: no chance to release
            assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(DirLock.holder(out)).isEmpty();
        DirLock.acquire(out, "moore train").close();
    }

    @Test
    void suiteTrainAndDemoStopAtStartOnADirectoryInUse(@TempDir Path dir) {
        Path suiteOut = dir.resolve("suite");
        try (DirLock held = DirLock.acquire(suiteOut, "moore suite demo")) {
            TestSupport.CliRun r = TestSupport.cli("suite", "demo", "--methods", "heads", "--seeds", "1", "--out", suiteOut.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("error: " + suiteOut + " is in use by process " + ProcessHandle.current().pid() + " (moore suite demo)");
            TestSupport.CliRun plan = TestSupport.cli("suite", "demo", "--plan", "--out", suiteOut.toString());
            assertThat(plan.code()).as(plan.err()).isZero();
            assertThat(plan.out()).contains("Running now in " + suiteOut + ": process " + ProcessHandle.current().pid() + " (moore suite demo).");
        }
        Path demoOut = dir.resolve("demo");
        try (DirLock held = DirLock.acquire(demoOut, "moore demo")) {
            TestSupport.CliRun r = TestSupport.cli("demo", "--max-train", "8", "--out", demoOut.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("error: " + demoOut + " is in use by process " + ProcessHandle.current().pid() + " (moore demo)");
            assertThat(demoOut.resolve(DirLock.FILE)).as("the running demo's files are kept").exists();
        }
        Path runOut = dir.resolve("run");
        try (DirLock held = DirLock.acquire(runOut, "moore train")) {
            TestSupport.CliRun r = TestSupport.cli("train", "--tasks", "sst2", "--method", "heads", "--max-train", "8", "--out", runOut.toString());
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("error: " + runOut + " is in use by process " + ProcessHandle.current().pid() + " (moore train)");
        }
    }
}
