package dev.moore4j.train;

import dev.moore4j.MooreException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
        assertThat(c.taskEmbeddingDim()).isEqualTo(32);
        assertThat(c.targets()).containsExactly("q_proj", "v_proj");
        assertThat(c.method()).isEqualTo("moore");
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
        assertThatThrownBy(() -> TrainConfig.fromJson(TrainConfig.defaults().toJson().put("method", "lora"), "x").validate())
                .hasMessageContaining("'method' is 'lora'");
        assertThatThrownBy(() -> TrainConfig.defaults().validate()).hasMessageContaining("'tasks' is empty");
        assertThatThrownBy(() -> TrainConfig.fromJson(TrainConfig.defaults().toJson().put("batchSize", 10).put("gradAccum", 3)
                .set("tasks", new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(List.of("cola"))), "x").validate())
                .hasMessageContaining("multiple of 'gradAccum'");
    }
}
