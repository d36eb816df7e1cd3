package dev.moore4j.config;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Methods;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.harness.SuiteSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Configs round-trip, the reference MoE-PEFT config is understood, schedules have their shapes. */
class ConfigTest {
    @Test
    void roundTripsThroughJsonAndYaml(@TempDir Path dir) throws Exception {
        TrainConfig c = TrainConfig.fromJson(TrainConfig.defaults().toJson().put("lr", 5e-4).put("method", "heads"), "t");
        assertThat(TrainConfig.fromJson(c.toJson(), "t")).isEqualTo(c);
        Files.writeString(dir.resolve("c.yaml"), "tasks: [cola, rte]\nbatchSize: 8\nschedule: wsd\n");
        TrainConfig y = TrainConfig.read(dir.resolve("c.yaml"));
        assertThat(y.tasks()).containsExactly("cola", "rte");
        assertThat(y.batchSize()).isEqualTo(8);
        assertThat(y.lr()).isEqualTo(TrainConfig.defaults().lr());
        Files.writeString(dir.resolve("bad.yaml"), "tasks: [cola]\nbatchsize: 8\n");
        assertThatThrownBy(() -> TrainConfig.read(dir.resolve("bad.yaml"))).isInstanceOf(MooreException.class)
                .hasMessageContaining("bad.yaml").hasMessageContaining("unknown field 'batchsize'");
    }

    @Test
    void readsMoePeftConfig(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("moe.json"), """
                {"cutoff_len": 256, "save_step": 1000,
                 "lora": [{"name": "moore_glue", "task_name": "glue:cola;glue:sst2;glue:mrpc", "optim": "adamw", "lr": 2e-4,
                           "batch_size": 16, "micro_batch_size": 4, "num_epochs": 2, "r": 8, "lora_alpha": 16,
                           "routing_strategy": "moore", "num_experts": 8, "task_embedding_dim": 32,
                           "target_modules": {"q_proj": true, "k_proj": false, "v_proj": true}}]}
                """);
        TrainConfig c = TrainConfig.read(dir.resolve("moe.json")).validate();
        assertThat(c.tasks()).containsExactly("cola", "sst2", "mrpc");
        assertThat(c.lr()).isEqualTo(2e-4);
        assertThat(c.batchSize()).isEqualTo(16);
        assertThat(c.gradAccum()).isEqualTo(4);
        assertThat(c.epochs()).isEqualTo(2);
        assertThat(c.maxLength()).isEqualTo(256);
        assertThat(c.method()).isEqualTo("moore");
        var moore = (MooreMethod.Config) c.methodConfig();
        assertThat(moore.taskEmbeddingDim()).isEqualTo(32);
        assertThat(moore.targets()).containsExactly("q_proj", "v_proj");
    }

    @Test
    void moePeftAdapterTypesMapToMethodsAndTheirKeys(@TempDir Path dir) throws Exception {
        String[][] cases = {{"", "lora"}, {"\"routing_strategy\": \"mixlora\",", "mixlora"}, {"\"routing_strategy\": \"loramoe\",", "loramoe"},
                {"\"routing_strategy\": \"mola\",", "mola"}, {"\"init_lora_weights\": \"pissa\",", "pissa"}};
        for (String[] k : cases) {
            Files.writeString(dir.resolve("m.json"), "{\"lora\": [{\"task_name\": \"glue:cola\", " + k[0]
                    + " \"r\": 16, \"lora_alpha\": 32, \"num_experts\": 4, \"top_k\": 1, \"target_modules\": [\"query\"]}]}");
            TrainConfig c = TrainConfig.read(dir.resolve("m.json")).validate();
            assertThat(c.method()).isEqualTo(k[1]);
            var json = Methods.toJson(c.methodConfig());
            assertThat(json.get("r").asInt()).isEqualTo(16);
            assertThat(json.get("alpha").asDouble()).isEqualTo(32);
            assertThat(json.get("targets").get(0).asText()).isEqualTo("query");
            if (json.has("experts")) {
                assertThat(json.get("experts").asInt()).isEqualTo(4);
            }
        }
        Files.writeString(dir.resolve("bad.json"), "{\"lora\": [{\"task_name\": \"glue:cola\", \"routing_strategy\": \"switch\"}]}");
        assertThatThrownBy(() -> TrainConfig.read(dir.resolve("bad.json"))).hasMessageContaining("routing_strategy 'switch'");
    }

    @Test
    void methodHyperparametersAreCheckedAtStartNamingTheKey() {
        assertThatThrownBy(() -> Methods.config("lora", Map.of("rank", 4), "--set")).hasMessageContaining("no key 'rank'")
                .hasMessageContaining("r, alpha, dropout, targets");
        assertThatThrownBy(() -> Methods.config("mola", Map.of("top_k", 9), "--set")).hasMessageContaining("'top_k' = 9");
        assertThatThrownBy(() -> Methods.config("goat", Map.of("r", 30), "--set")).hasMessageContaining("'r' = 30 must be divisible by 'experts' = 8");
        assertThatThrownBy(() -> Methods.config("lora", Map.of("r", "x"), "--set")).hasMessageContaining("key 'r'");
        assertThatThrownBy(() -> Methods.config("hra", Map.of("householder", 3), "--set")).hasMessageContaining("'householder'");
        assertThatThrownBy(() -> Methods.config("nope", Map.of(), "--set")).hasMessageContaining("unknown method 'nope'");
        assertThat(Methods.parseAssignments("lora", List.of("r=16", "targets=query,value", "dropout=0")))
                .containsEntry("r", 16).containsEntry("targets", List.of("query", "value")).containsEntry("dropout", 0);
    }

    /**
     * What a registered method must come with beyond its file and its registry line: a row in docs/methods.md's
     * table, a place in the two comparison suites (every method is compared there), a colour of its own.
     */
    @Test
    void everyRegisteredMethodHasItsDocsRowSuiteEntriesAndColour() throws Exception {
        String docs = Files.readString(Path.of("docs/methods.md"));
        Set<Integer> colours = new HashSet<>();
        for (var m : Methods.all()) {
            assertThat(docs).as("docs/methods.md has a row for %s", m.name()).contains("| `" + m.name() + "` |");
            for (String suite : List.of("nlu-mtl", "csr-mtl")) {
                assertThat(SuiteSpec.resolve(suite).methods()).as("%s runs %s", suite, m.name()).contains(m.name());
            }
            assertThat(colours.add(m.colour())).as("%s has a colour no other method has", m.name()).isTrue();
            assertThat(m.display()).isNotBlank();
        }
    }

    @Test
    void everyMethodConfigRoundTripsThroughJson() {
        assertThat(Methods.names()).hasSizeGreaterThan(10).doesNotHaveDuplicates();
        for (String name : Methods.names()) {
            var c = Methods.config(name, Map.of(), "t");
            assertThat(Methods.fromJson(name, Methods.toJson(c), "t")).isEqualTo(c);
            TrainConfig t = TrainConfig.fromJson(TrainConfig.defaults().toJson().put("method", name)
                    .set("tasks", new ObjectMapper().valueToTree(List.of("cola"))), "t").withResolvedAdapter();
            assertThat(TrainConfig.fromJson(t.toJson(), "t")).isEqualTo(t);
            assertThat(t.methodConfig()).isEqualTo(c);
        }
    }

    @Test
    void schedules() {
        Schedule constant = new Schedule("constant", 0.1, 0, 100);
        assertThat(constant.multiplier(5)).isCloseTo(0.5, within(1e-12));
        assertThat(constant.multiplier(10)).isEqualTo(1.0);
        assertThat(constant.multiplier(100)).isEqualTo(1.0);
        Schedule cosine = new Schedule("cosine", 0, 0, 100);
        assertThat(cosine.multiplier(50)).isCloseTo(0.5, within(1e-12));
        assertThat(cosine.multiplier(100)).isCloseTo(0.0, within(1e-12));
        Schedule wsd = new Schedule("wsd", 0.1, 0.2, 100);
        assertThat(wsd.multiplier(80)).isEqualTo(1.0);
        assertThat(wsd.multiplier(90)).isCloseTo(0.5, within(1e-12));
        assertThat(wsd.multiplier(100)).isCloseTo(0.0, within(1e-12));
        assertThatThrownBy(() -> new Schedule("linear", 0, 0, 10)).hasMessageContaining("schedule 'linear' is unknown");
    }

    @Test
    void validationNamesTheField() {
        assertThatThrownBy(() -> TrainConfig.fromJson(TrainConfig.defaults().toJson().put("method", "lorax"), "x").validate())
                .hasMessageContaining("unknown method 'lorax'");
        assertThatThrownBy(() -> TrainConfig.defaults().validate()).hasMessageContaining("'tasks' is empty");
        assertThatThrownBy(() -> TrainConfig.fromJson(TrainConfig.defaults().toJson().put("batchSize", 10).put("gradAccum", 3)
                .set("tasks", new ObjectMapper().valueToTree(List.of("cola"))), "x").validate())
                .hasMessageContaining("multiple of 'gradAccum'");
    }
}
