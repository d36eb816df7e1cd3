package dev.moore4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moore4j.TestSupport;
import dev.moore4j.engine.Engines;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching on a stories260K MoORE adapter with two tasks: completions that arrive together and while others
 * decode, of different tasks (and task-free), lengths, budgets, greedy and seeded sampling, stop strings, each get the
 * answer they get one at a time.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DecodeLoopTest {
    @TempDir
    static Path dir;
    static AdaptedModel model;

    static final String[] PROMPTS = {"Once upon a time", "The cat", "Lily went to the park", "Tom had a big red ball", "One day, a little bird",
        "Sam", "The sun was hot and", "Mom said"};
    static final String[] TASKS = {"mood", "pet", null};

    @BeforeAll
    static void open() {
        Path dec = dir.resolve("dec");
        var save = TestSupport.cli("moeize", "stories260K", "--targets", "q_proj,v_proj", "--tasks",
                "examples/stories-tasks/mood.yaml,examples/stories-tasks/pet.yaml", "--save", dec.toString(), "--threads", TestSupport.THREADS);
        assertThat(save.code()).as(save.err()).isZero();
        model = AdaptedModel.open(dec, Engines.defaultThreads());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    record Ask(String prompt, AdaptedModel.GenerateOptions options, String task) {}

    static List<Ask> asks(int n) {
        List<Ask> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float temperature = i % 2 == 0 ? 0f : 0.8f;
            List<String> stop = i % 5 == 4 ? List.of(".") : List.of();
            out.add(new Ask(PROMPTS[i % PROMPTS.length], new AdaptedModel.GenerateOptions(8 + 3 * (i % 7), temperature, 0.9f, 100 + i, stop, i % 3 == 0),
                    TASKS[i % TASKS.length]));
        }
        return out;
    }

    @Test
    void sixteenConcurrentCompletionsOfMixedTasksEqualTheirOneAtATimeAnswers() throws Exception {
        List<Ask> asks = asks(16);
        List<AdaptedModel.Completion> alone = new ArrayList<>();
        for (Ask a : asks) {
            alone.add(model.generate(a.prompt(), a.options(), a.task(), null));
        }
        List<CompletableFuture<AdaptedModel.Completion>> batched = new ArrayList<>();
        List<StringBuilder> streamed = new ArrayList<>();
        try (DecodeLoop loop = new DecodeLoop(model, DecodeLoop.Options.DEFAULT)) {
            for (int i = 0; i < asks.size(); i++) {
                if (i == 10) {
                    batched.get(0).get(2, TimeUnit.MINUTES); // the rest join a batch that is decoding already
                }
                Ask a = asks.get(i);
                StringBuilder pieces = new StringBuilder();
                streamed.add(pieces);
                batched.add(loop.submit(model.tokenizer().encode(a.prompt()), a.options(), a.task(), pieces::append));
            }
            for (int i = 0; i < asks.size(); i++) {
                AdaptedModel.Completion b = batched.get(i).get(2, TimeUnit.MINUTES);
                AdaptedModel.Completion o = alone.get(i);
                assertThat(b.text()).as("answer %d", i).isEqualTo(o.text());
                assertThat(streamed.get(i).toString()).isEqualTo(o.text());
                assertThat(b.finishReason()).isEqualTo(o.finishReason());
                assertThat(b.completionTokens()).isEqualTo(o.completionTokens());
                assertThat(b.promptTokens()).isEqualTo(o.promptTokens());
                if (o.logprobs() != null) {
                    assertThat(b.logprobs()).hasSameSizeAs(o.logprobs());
                }
            }
            assertThat(loop.meanBatch()).as("rows per step").isGreaterThan(3);
        }
    }

    @Test
    void aCancelledCompletionLeavesAndTheOthersGoOnAndARowBudgetIsKept() throws Exception {
        var greedy = AdaptedModel.GenerateOptions.greedy(40);
        String want = model.generate("Once upon a time", greedy, "mood", null).text();
        try (DecodeLoop loop = new DecodeLoop(model, new DecodeLoop.Options(2, 1L << 30))) {
            List<CompletableFuture<AdaptedModel.Completion>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(loop.submit(model.tokenizer().encode("Once upon a time"), greedy, "mood", null));
            }
            fs.get(1).cancel(false);
            for (int i : new int[] {0, 2, 3}) {
                assertThat(fs.get(i).get(2, TimeUnit.MINUTES).text()).isEqualTo(want);
            }
            assertThatThrownBy(() -> fs.get(1).get()).isInstanceOf(CancellationException.class);
            assertThat(loop.meanBatch()).as("never more than two rows").isLessThanOrEqualTo(2.0).isGreaterThan(1.0);
        }
    }

    @Test
    void serveBenchDecodeReportsEveryConcurrencyWithAnswersEqualToTheirOneAtATimeAnswers() throws Exception {
        var r = TestSupport.cli("serve-bench", "--adapter", dir.resolve("dec").toString(), "--decode", "--concurrency", "1,3", "--decode-requests", "6",
                "--max-tokens", "5", "--json", "--threads", TestSupport.THREADS);
        assertThat(r.code()).as(r.err()).isZero();
        var out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertThat(out.get("results")).hasSize(3); // batched at 1 and 3 clients, then one at a time
        for (var res : out.get("results")) {
            assertThat(res.get("errors").asInt()).isZero();
            assertThat(res.get("tokens").asLong()).isPositive();
            assertThat(res.get("answersDifferent").asInt()).as(res.toString()).isZero();
        }
    }
}
