package dev.moore4j.harness;

import dev.moore4j.io.SharedPaths;
import dev.moore4j.task.BadRows;
import dev.moore4j.task.Example;
import dev.moore4j.task.Split;
import dev.moore4j.task.TaskRegistry;
import dev.moore4j.task.TaskSpec;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conflict suites are what their files say: mood and its reversal (mood-opposite in conflict.yaml, under another
 * instruction; mood-flipped in conflict-blind.yaml, under the same one) hold the same sentences, row for row, in both
 * splits, with the other label each time; pet and weather share no sentence with them.
 */
class ConflictSuiteTest {
    static List<Example> all(TaskSpec t, Split split) {
        return TaskRegistry.load(t, split, SharedPaths.data(), 0, 1, BadRows.STOP).examples();
    }

    @ParameterizedTest
    @CsvSource({"conflict, mood-opposite, false", "conflict-blind, mood-flipped, true"})
    void theTwoMoodTasksLabelTheSameSentencesOppositely(String suite, String reversed, boolean samePrompt) {
        SuiteSpec spec = SuiteSpec.resolve("examples/suites/" + suite + ".yaml");
        Map<String, TaskSpec> tasks = TaskRegistry.resolveAll(spec.tasks()).stream().collect(Collectors.toMap(TaskSpec::name, t -> t));
        assertThat(tasks).containsOnlyKeys("mood", reversed, "pet", "weather");
        TaskSpec mood = tasks.get("mood");
        TaskSpec opposite = tasks.get(reversed);
        assertThat(opposite.labels()).isEqualTo(mood.labels()); // one label set: a decoder answers both with the same tokens
        assertThat(opposite.prompt().equals(mood.prompt())).as("the same instruction").isEqualTo(samePrompt);
        Set<String> moodTexts = new HashSet<>();
        for (Split split : new Split[] {Split.TRAIN, Split.EVAL}) {
            List<Example> a = all(mood, split);
            List<Example> b = all(opposite, split);
            assertThat(b).hasSameSizeAs(a).hasSizeGreaterThanOrEqualTo(100);
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).text()).as(split + " row " + i).isEqualTo(a.get(i).text());
                assertThat(b.get(i).label()).as(split + " row " + i + ": the other label").isEqualTo(1 - a.get(i).label());
                moodTexts.add(a.get(i).text());
            }
            long happy = a.stream().filter(e -> e.label() == 0).count();
            assertThat(happy).as("both labels occur").isBetween(a.size() / 4L, 3L * a.size() / 4);
        }
        for (String other : List.of("pet", "weather")) {
            for (Split split : new Split[] {Split.TRAIN, Split.EVAL}) {
                assertThat(all(tasks.get(other), split)).allSatisfy(e -> assertThat(moodTexts).doesNotContain(e.text()));
            }
        }
    }
}
