package dev.moore4j.adapter.heads;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterModule;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.model.TransformerModel;

import java.util.List;

/** Heads only: the encoder stays frozen and untouched; only the task heads train (the floor every method must beat). */
@Method.Named(value = "heads", summary = "frozen model, task heads only",
        display = "heads only", colour = 0x888888, kind = Method.Kind.HEADS)
public final class HeadsMethod implements Method<HeadsMethod.Config> {
    /** No hyperparameters. */
    public record Config() implements MethodConfig {
        @Override
        public List<String> targets() {
            return List.of();
        }
    }

    @Override
    public Config defaults() {
        return new Config();
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
