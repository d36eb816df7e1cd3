package dev.moore4j.task;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.io.SharedPaths;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every task file of ../shared/data parses to the row counts of its MANIFEST, and bad files fail clearly. */
class DataReadersTest {
    private static final Path DATA = SharedPaths.data();

    private static List<Example> read(String task, boolean train) {
        return TaskRegistry.load(TaskRegistry.resolve(task), train ? Split.TRAIN : Split.EVAL, DATA, 0, 1, BadRows.STOP).examples();
    }

    @Test
    void sharedDataMatchesManifestCounts() {
        Map<String, int[]> expected = Map.ofEntries(
                Map.entry("cola", new int[] {8551, 1043}), Map.entry("sst2", new int[] {67349, 872}),
                Map.entry("mrpc", new int[] {3668, 408}), Map.entry("rte", new int[] {2490, 277}),
                Map.entry("stsb", new int[] {5749, 1500}), Map.entry("arc-c", new int[] {1119, 1172}),
                Map.entry("arc-e", new int[] {2251, 2376}), Map.entry("boolq", new int[] {9427, 3270}),
                Map.entry("obqa", new int[] {4957, 500}), Map.entry("winogrande", new int[] {9248, 1267}),
                Map.entry("csqa", new int[] {9741, 1221}));
        expected.forEach((task, n) -> {
            assertThat(read(task, true)).as(task + " train").hasSize(n[0]);
            assertThat(read(task, false)).as(task + " eval").hasSize(n[1]);
        });
    }

    @Test
    void glueFieldsAndLabels() {
        Example mrpc = read("mrpc", false).get(0); // after the BOM header
        assertThat(mrpc.text()).startsWith("He said the foodservice pie business");
        assertThat(mrpc.pair()).isNotNull();
        assertThat(mrpc.label()).isEqualTo(1);
        Example rte = read("rte", false).get(0);
        assertThat(rte.label()).isEqualTo(1); // not_entailment
        Example sst = read("sst2", false).get(0);
        assertThat(sst.text()).doesNotEndWith(" ");
        Example stsb = read("stsb", false).get(0);
        assertThat(stsb.target()).isEqualTo(5.0f);
        assertThat(read("cola", true).get(0).text()).startsWith("Our friends won't buy this analysis");
    }

    @Test
    void commonsenseChoicesAreParsed() {
        Example arc = read("arc-c", true).get(0);
        assertThat(arc.text()).startsWith("George wants to warm his hands quickly");
        assertThat(arc.choices()).containsExactly("dry palms", "wet palms", "palms covered with oil", "palms covered with lotion");
        assertThat(arc.label()).isZero();
        Example wino = read("winogrande", false).get(0);
        assertThat(wino.text()).contains("_");
        assertThat(wino.choices()).containsExactly("Sarah", "Maria");
        assertThat(wino.label()).isEqualTo(1);
        Example winoTrain = read("winogrande", true).get(0); // original JSON Lines
        assertThat(winoTrain.choices()).containsExactly("garage", "backyard");
        Example boolq = read("boolq", true).get(0);
        assertThat(boolq.choices()).containsExactly("true", "false");
        assertThat(boolq.label()).isZero();
        Example csqa = read("csqa", false).get(0);
        assertThat(csqa.choices()).hasSize(5).first().isEqualTo("bank");
        for (String t : TaskRegistry.suite("csr-mtl")) {
            for (Example e : read(t, false)) {
                assertThat(e.label()).as(e.source()).isBetween(0, e.choices().size() - 1);
            }
        }
    }

    @Test
    void llmAdaptersShapesOfTasksNotInSharedData() throws Exception {
        var json = new ObjectMapper();
        Example piqa = DataReaders.llmAdaptersItem(json.readTree("""
                {"instruction": "Please choose the correct solution to the question: To open a jar, \\n\\nSolution1: twist the lid Solution2: shake it\\n\\nAnswer format: solution1/solution2", "answer": "solution1"}"""),
                TaskRegistry.resolve("piqa"), "t:1");
        assertThat(piqa.text()).isEqualTo("To open a jar,");
        assertThat(piqa.choices()).containsExactly("twist the lid", "shake it");
        assertThat(piqa.label()).isZero();
        Example hella = DataReaders.llmAdaptersItem(json.readTree("""
                {"instruction": "Please choose the correct ending to complete the given sentence: A man sits. Then\\n\\nEnding1: he runs. Ending2: he sleeps. Ending3: he eats. Ending4: he sings.\\n\\nAnswer format: ending1/ending2/ending3/ending4", "answer": "ending3"}"""),
                TaskRegistry.resolve("hellaswag"), "t:1");
        assertThat(hella.choices()).hasSize(4).element(2).isEqualTo("he eats.");
        assertThat(hella.label()).isEqualTo(2);
        assertThatThrownBy(() -> DataReaders.llmAdaptersItem(json.readTree("""
                {"instruction": "Q: x\\n\\nAnswer1: a Answer2: b\\n\\nAnswer format: answer1/answer2", "answer": "answer3"}"""),
                TaskRegistry.resolve("siqa"), "t:1")).hasMessageContaining("answer 'answer3' is not in the answer format");
    }

    @Test
    void capsAreDeterministicSubsamples() {
        TaskSpec sst = TaskRegistry.resolve("sst2");
        List<Example> a = TaskRegistry.load(sst, Split.TRAIN, DATA, 100, 7, BadRows.STOP).examples();
        List<Example> b = TaskRegistry.load(sst, Split.TRAIN, DATA, 100, 7, BadRows.STOP).examples();
        List<Example> c = TaskRegistry.load(sst, Split.TRAIN, DATA, 100, 8, BadRows.STOP).examples();
        assertThat(a).hasSize(100).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void missingFileNamesIt(@TempDir Path dir) {
        assertThatThrownBy(() -> TaskRegistry.load(TaskRegistry.resolve("mnli"), Split.TRAIN, dir, 0, 1, BadRows.STOP))
                .isInstanceOf(MooreException.class).hasMessageContaining(dir.resolve("glue/mnli/train.tsv").toString())
                .hasMessageContaining("not found");
    }

    @Test
    void malformedRowNamesFileAndLineUnlessSkipped(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("glue/sst2"));
        Path f = dir.resolve("glue/sst2/train.tsv");
        Files.writeString(f, "sentence\tlabel\ngood film\t1\nno label column here\nbad film\t0\n");
        TaskSpec sst = TaskRegistry.resolve("sst2");
        assertThatThrownBy(() -> TaskRegistry.load(sst, Split.TRAIN, dir, 0, 1, BadRows.STOP))
                .hasMessageContaining(f + ":3").hasMessageContaining("columns").hasMessageContaining("--skip-bad-rows");
        DataReaders.Result r = TaskRegistry.load(sst, Split.TRAIN, dir, 0, 1, BadRows.SKIP);
        assertThat(r.examples()).hasSize(2);
        assertThat(r.skipped()).isEqualTo(1);
    }

    @Test
    void labelOutsideLabelSet(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("glue/rte"));
        Path f = dir.resolve("glue/rte/train.tsv");
        Files.writeString(f, "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\tmaybe\n");
        assertThatThrownBy(() -> TaskRegistry.load(TaskRegistry.resolve("rte"), Split.TRAIN, dir, 0, 1, BadRows.STOP))
                .hasMessageContaining(f + ":3").hasMessageContaining("label 'maybe' is not in the label set [entailment, not_entailment]");
    }

    @Test
    void emptyTask(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("glue/cola"));
        Files.writeString(dir.resolve("glue/cola/train.tsv"), "");
        assertThatThrownBy(() -> TaskRegistry.load(TaskRegistry.resolve("cola"), Split.TRAIN, dir, 0, 1, BadRows.STOP))
                .hasMessageContaining("task 'cola' has no examples");
    }

    @Test
    void unknownTaskListsKnownOnes() {
        assertThatThrownBy(() -> TaskRegistry.resolve("colaa")).isInstanceOf(MooreException.class)
                .hasMessageContaining("unknown task 'colaa'").hasMessageContaining("cola, sst2, mrpc");
    }

    @Test
    void userTaskSpec(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.jsonl"), "{\"q\": \"2+2?\", \"opts\": [\"3\", \"4\"], \"a\": \"4\"}\n{\"q\": \"1+1?\", \"opts\": [\"2\", \"5\"], \"a\": \"0\"}\n");
        Files.writeString(dir.resolve("t.yaml"), "name: sums\nkind: multiple-choice\ntrain: t.jsonl\ntext_field: q\nchoices_field: opts\nlabel_field: a\n");
        TaskSpec spec = TaskRegistry.resolve(dir.resolve("t.yaml").toString());
        List<Example> ex = TaskRegistry.load(spec, Split.TRAIN, dir, 0, 1, BadRows.STOP).examples();
        assertThat(ex).extracting(Example::label).containsExactly(1, 0);
        Files.writeString(dir.resolve("bad.yaml"), "name: x\nkind: classification\ntrain: t.jsonl\n");
        assertThatThrownBy(() -> TaskRegistry.resolve(dir.resolve("bad.yaml").toString()))
                .hasMessageContaining("bad.yaml").hasMessageContaining("'labels'");
        Files.writeString(dir.resolve("bad2.yaml"), "name: x\nkind: ranking\ntrain: t.jsonl\n");
        assertThatThrownBy(() -> TaskRegistry.resolve(dir.resolve("bad2.yaml").toString())).hasMessageContaining("field 'kind' is 'ranking'");
    }
}
