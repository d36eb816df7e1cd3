package dev.moore4j.adapter.heads;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterModule;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.model.TransformerModel;

import java.util.List;

/** Heads only: the encoder stays frozen and untouched; only the task heads train (the floor every method must beat). */
public final class HeadsMethod implements Method<HeadsMethod.Config> {
    /** No hyperparameters. */
    public record Config() implements MethodConfig {
        @Override
        public List<String> targets() {
            return List.of();
        }
    }

    @Override
    public String name() {
        return "heads";
    }

    @Override
    public String summary() {
        return "frozen model, task heads only";
    }

    @Override
    public Config defaults() {
        return new Config();
    }

    @Override
    public Class<Config> configType() {
        return Config.class;
    }

    @Override
    public List<AdapterModule> inject(TransformerModel model, Config config, AdaptContext ctx) {
        return List.of();
    }

    @Override
    public long count(TransformerModel model, Config config, int tasks) {
        return 0;
    }
}
