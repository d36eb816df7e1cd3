package dev.moore4j.cli;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.TestSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.moore4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decoder path end to end on stories260K with the three toy prompt→label tasks of
 * examples/stories-tasks: the loss falls, label-token evaluation beats the untrained model,
 * generation routes by task id, and the saved adapter reloads to the same scores.
 */
class DecoderPipelineCliTest {
    static final String TASKS = "examples/stories-tasks/mood.yaml,examples/stories-tasks/pet.yaml,examples/stories-tasks/weather.yaml";

    @Test
    void trainEvalGenerateReload(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliTest.Run train = run("train", "--model", "stories260K", "--tasks", TASKS, "--held-out-text", "examples/stories-tasks/heldout.txt",
                "--batch-size", "16", "--max-steps", "40", "--eval-every", "20", "--lr", "5e-4", "--max-eval", "60", "--seed", "3",
                "--out", out.toString(), "--threads", TestSupport.THREADS, "--json");
        assertThat(train.code()).as(train.err()).isZero();
        JsonNode s = train.json();
        assertThat(s.get("loss_last_steps").asDouble()).isLessThan(0.5 * s.get("loss_first_steps").asDouble());
        assertThat(s.get("eval").get("overall").asDouble()).isGreaterThan(0.8);
        assertThat(s.get("oblivion").get("perplexity_before").asDouble()).isBetween(1.0, 20.0);
        double before = s.get("oblivion").get("perplexity_before").asDouble();
        double after = s.get("oblivion").get("perplexity_after").asDouble();
        System.err.printf("held-out perplexity %.4f before, %.4f after%n", before, after);
        assertThat(after).as("training changed the model's language modelling").isNotEqualTo(before);
        assertThat(after).as("but did not wreck it (oblivion)").isBetween(before / 2, before * 2);

        // the (practically) untrained adapter is far behind on the same eval sets
        CliTest.Run base = run("train", "--model", "stories260K", "--tasks", TASKS, "--max-steps", "1", "--lr", "1e-12", "--max-eval", "60", "--seed", "3", "--no-oblivion", "--out", dir.resolve("base").toString(), "--threads", TestSupport.THREADS, "--json");
        assertThat(base.code()).as(base.err()).isZero();
        assertThat(base.json().get("eval").get("overall").asDouble()).isLessThan(s.get("eval").get("overall").asDouble() - 0.2);

        CliTest.Run eval = run("eval", "--adapter", out.resolve("last").toString(), "--json", "--threads", TestSupport.THREADS);
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.json().get("overall").asDouble()).isEqualTo(s.get("eval").get("overall").asDouble());

        // one prompt, routed as two tasks: the task id changes what the adapter generates
        String prompt = "Is the child happy or sad?\nLily went to the park. She smiled and laughed all day.\nAnswer:";
        CliTest.Run gen = run("generate", "--adapter", out.resolve("last").toString(), "--task", "mood", "--prompt", prompt, "--max-tokens", "4", "--json");
        assertThat(gen.code()).as(gen.err()).isZero();
        CliTest.Run asPet = run("generate", "--adapter", out.resolve("last").toString(), "--task", "pet", "--prompt", prompt, "--max-tokens", "4", "--json");
        assertThat(asPet.code()).as(asPet.err()).isZero();
        String mood = gen.json().get("text").asText().substring(prompt.length());
        String pet = asPet.json().get("text").asText().substring(prompt.length());
        System.err.printf("routed as mood: %s | as pet: %s%n", mood, pet);
        assertThat(mood).startsWith(" happy");
        assertThat(pet).isNotEqualTo(mood);
        CliTest.Run badTask = run("generate", "--adapter", out.resolve("last").toString(), "--task", "colour", "--prompt", "x");
        assertThat(badTask.code()).isEqualTo(2);
        assertThat(badTask.err()).contains("unknown task 'colour'").contains("mood, pet, weather");
    }
}
