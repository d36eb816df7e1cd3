package dev.moore4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.TestSupport;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.io.AtomicFiles;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.linalg.FactorCache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 at random moments: a training process (stories260K, checkpoint every 3 steps) is killed at least
 * 20 times in a row and resumed after each kill. Between kills every checkpoint on disk must be whole; in
 * the end the run completes, and its adapter and optimizer state are bit-identical to an uninterrupted
 * run's. A factor-cache file cut short is detected and recomputed.
 */
class CrashSafetyTest {
    static final int KILLS = 20;

    static List<String> command(Path out) {
        return List.of("train", "--model", "stories260K", "--method", "lora", "--tasks",
                "examples/stories-tasks/mood.yaml,examples/stories-tasks/pet.yaml", "--batch-size", "8", "--max-steps", "120", "--eval-every", "3",
                "--max-eval", "8", "--lr", "5e-3", "--no-oblivion", "--seed", "5", "--threads", "1", "--resume", "--out", out.toString());
    }

    static Process start(Path out, Path log) throws IOException {
        return TestSupport.mainProcess(command(out)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @Test
    void killedTwentyTimesTheRunCompletesBitIdentical(@TempDir Path dir) throws Exception {
        Path ref = dir.resolve("reference");
        Process p = start(ref, dir.resolve("reference.log"));
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("reference.log"))).isZero();

        Path out = dir.resolve("killed");
        Path log = dir.resolve("killed.log");
        Random rnd = new Random(20261201);
        int kills = 0;
        int attempts = 0;
        List<Integer> resumedAt = new ArrayList<>();
        while (true) {
            attempts++;
            assertThat(attempts).as("the run makes progress between kills").isLessThan(KILLS + 40);
            long before = Files.exists(log) ? Files.size(log) : 0;
            int stepAtStart = lastStep(out);
            p = start(out, log);
            if (kills < KILLS) {
                // kills are placed by what the process has done, not by the clock, so a slow or loaded machine moves
                // none of them: three in four after this process wrote a new checkpoint (then within its next steps,
                // evaluations or saves), one in four during start-up and loading
                boolean inStartUp = kills % 4 == 3;
                if (!inStartUp) {
                    awaitNewCheckpoint(p, out, stepAtStart);
                }
                long delay = inStartUp ? 100 + rnd.nextInt(900) : rnd.nextInt(800);
                if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly(); // SIGKILL
                    p.waitFor(30, TimeUnit.SECONDS);
                    kills++;
                    assertWholeCheckpoints(out);
                    resumedAt.add(resumedStep(Files.readString(log).substring((int) before)));
                    continue;
                }
            } else if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            assertThat(p.exitValue()).as(Files.readString(log)).isZero();
            if (kills >= KILLS) {
                break;
            }
            // finished before the twentieth kill: start over (a fresh run), so every kill hits a live run
            AtomicFiles.deleteTree(out);
        }
        assertWholeCheckpoints(out);
        assertThat(kills).isGreaterThanOrEqualTo(KILLS);
        assertThat(resumedAt.stream().filter(s -> s > 0).count()).as("kills after training had begun, resumed from a checkpoint: " + resumedAt)
                .isGreaterThanOrEqualTo(KILLS / 2);
        for (String f : new String[] {Checkpoint.WEIGHTS, Checkpoint.OPTIMIZER}) {
            Map<String, HostTensor> want = Safetensors.readAll(ref.resolve("last").resolve(f));
            Map<String, HostTensor> got = Safetensors.readAll(out.resolve("last").resolve(f));
            assertThat(got.keySet()).isEqualTo(want.keySet());
            want.forEach((k, v) -> assertThat(got.get(k).data()).as(f + " " + k + " bit-identical").isEqualTo(v.data()));
        }
        System.err.printf("crash safety: %d kills over %d processes; resumed at steps %s; final adapter bit-identical%n", kills, attempts, resumedAt);
    }

    /** The step of the run's resumable checkpoint, or -1 when there is none (or it is being swapped). */
    static int lastStep(Path out) {
        try {
            return new ObjectMapper().readTree(out.resolve("last").resolve(Checkpoint.STATE).toFile()).get("step").asInt();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Waits until the process has written a checkpoint newer than {@code stepAtStart}, or has exited (a hang guard of 300 s). */
    static void awaitNewCheckpoint(Process p, Path out, int stepAtStart) throws InterruptedException {
        long guard = System.nanoTime() + 300_000_000_000L;
        while (p.isAlive() && lastStep(out) <= stepAtStart) {
            assertThat(System.nanoTime()).as("the process writes a checkpoint").isLessThan(guard);
            Thread.sleep(10);
        }
    }

    /** The step a resumed process started from (0 when it started afresh), as its log says. */
    static int resumedStep(String log) {
        var m = Pattern.compile("resuming .* at step (\\d+)").matcher(log);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Every checkpoint directory present is whole: its config parses and every tensor file reads in full. */
    static void assertWholeCheckpoints(Path out) throws IOException {
        for (String name : new String[] {"last", "best"}) {
            Path d = out.resolve(name);
            if (!Files.isDirectory(d)) {
                continue;
            }
            Checkpoint.readInfo(d);
            Safetensors.readAll(d.resolve(Checkpoint.WEIGHTS));
            if (name.equals("last")) {
                Safetensors.readAll(d.resolve(Checkpoint.OPTIMIZER));
                assertThat(new ObjectMapper().readTree(d.resolve(Checkpoint.STATE).toFile()).get("step").asInt()).isPositive();
            }
        }
    }

    @Test
    void aFactorCacheFileCutShortIsRecomputedNotUsed(@TempDir Path dir) throws Exception {
        FactorCache cache = new FactorCache(dir);
        Random rnd = new Random(3);
        float[] a = new float[24 * 16];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        FactorCache.Result first = cache.factorise(a, 24, 16, dev.moore4j.linalg.Svd.Precision.FP32);
        assertThat(first.cached()).isFalse();
        assertThat(cache.factorise(a, 24, 16, dev.moore4j.linalg.Svd.Precision.FP32).cached()).isTrue();
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(f -> f.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 2); // as a crash mid-write would leave it, were the write not atomic
        }
        FactorCache.Result again = cache.factorise(a, 24, 16, dev.moore4j.linalg.Svd.Precision.FP32);
        assertThat(again.cached()).as("a torn file is never used").isFalse();
        assertThat(again.factors().s()).isEqualTo(first.factors().s());
        assertThat(cache.factorise(a, 24, 16, dev.moore4j.linalg.Svd.Precision.FP32).cached()).as("and is rewritten whole").isTrue();
    }
}
