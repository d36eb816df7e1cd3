package dev.moore4j.adapter;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.model.TransformerModel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

/**
 * One adaptation method: its hyperparameters (a config record with defaults) and how it puts its
 * modules into a model. Everything else (target matching, freezing, state dicts, checkpoints,
 * training, evaluation) is shared and knows no method.
 */
public interface Method<C extends MethodConfig> {
    /** A method's name and summary, declared once on its class; every concrete method carries its own. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Named {
        /** CLI name, lowercase. */
        String value();

        /** One line for {@code --help} and tables. */
        String summary();

        /** As tables and charts print it ({@code MTL-LoRA}); empty: the CLI name. */
        String display() default "";

        /** Its colour in every chart of a report, {@code 0xRRGGBB}: one per method, whichever methods a chart holds. */
        int colour();

        /** What the method trains, which decides the rate family a suite gives it and the passes it takes part in. */
        Kind kind() default Kind.ADAPTER;
    }

    /** What a method trains. */
    enum Kind {
        /** The frozen model and task heads only: the floor every method is compared with. */
        HEADS,
        /** Every target weight: the ceiling. */
        FULL,
        /** A parameter-efficient adapter without experts. */
        ADAPTER,
        /** A mixture of LoRA experts with a learned router (the conflict pass takes the suite's two best). */
        MIXTURE;

        /** The key of a suite's {@code rates:} and {@code grids:} this kind reads: heads, full or adapter. */
        public String rateFamily() {
            return switch (this) {
                case HEADS -> "heads";
                case FULL -> "full";
                case ADAPTER, MIXTURE -> "adapter";
            };
        }
    }

    /** CLI name, lowercase: the class's {@link Named}. */
    default String name() {
        return named().value();
    }

    /** One line for {@code --help} and tables: the class's {@link Named}. */
    default String summary() {
        return named().summary();
    }

    /** As tables and charts print it: the class's {@link Named}. */
    default String display() {
        return named().display().isEmpty() ? name() : named().display();
    }

    /** Its chart colour, {@code 0xRRGGBB}: the class's {@link Named}. */
    default int colour() {
        return named().colour();
    }

    /** What it trains: the class's {@link Named}. */
    default Kind kind() {
        return named().kind();
    }

    /** Whether it routes tokens (or tasks) among experts, so that a run has a routing analysis to record. */
    default boolean hasRouter() {
        return kind() == Kind.MIXTURE;
    }

    private Named named() {
        Named n = getClass().getAnnotation(Named.class);
        if (n == null) {
            throw new IllegalStateException(getClass().getName() + " has no @Method.Named");
        }
        return n;
    }

    C defaults();

    /** The config record's class: that of {@link #defaults()}. */
    @SuppressWarnings("unchecked")
    default Class<C> configType() {
        return (Class<C>) defaults().getClass();
    }

    /**
     * Replaces the method's targets in {@code model} with its modules. Every target is checked before
     * anything is allocated, so a bad config fails at start naming the key.
     */
    List<AdapterModule> inject(TransformerModel model, C config, AdaptContext ctx);

    /** Trainable parameters {@link #inject} would create, computed without allocating (for budgets). */
    long count(TransformerModel model, C config, int tasks);

    /** Whether the adapted model at initialisation computes exactly the base model. */
    default boolean exactAtInit() {
        return true;
    }

    /** Whether the adapter's output depends on the task id (it routes by task; others ignore the id). */
    default boolean routesByTask() {
        return false;
    }

    /** Whether every adapted layer folds into one dense weight (merged export; {@code moore export --adapter}). */
    default boolean merges() {
        return false;
    }

    /**
     * Moves this method's fields out of a training config written by an older moore4j ({@code trainConfig}, as
     * JSON, before it is read) into its {@code adapter} object; fields of a config for another method are dropped.
     */
    default void upgradeLegacyConfig(ObjectNode trainConfig) {}

    /**
     * The integer hyperparameter that sizes the adapter, which {@code moore params --budget} varies: {@code r}
     * where the method has one; null when nothing does.
     */
    default String budgetKey() {
        return MethodConfig.toJson(defaults()).has("r") ? "r" : null;
    }
}
