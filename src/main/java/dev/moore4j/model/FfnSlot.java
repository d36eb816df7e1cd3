package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * The feed-forward block of one transformer layer, as a place adapters can replace whole (FFN-level
 * mixtures such as MixLoRA). Its projections stay ordinary {@link LinearSlot}s; {@link #apply} runs the
 * block's maths with any projection function, so a replacement can add per-expert terms to each
 * projection without restating the block.
 * <pre>
 *   GELU:    y = Out · gelu(In · x)                       projections [In, Out]        (BERT)
 *   SWIGLU:  y = Down · (silu(Gate · x) ⊙ (Up · x))        projections [Gate, Up, Down] (Llama)
 *   GEGLU:   y = Down · (geluTanh(Gate · x) ⊙ (Up · x))    projections [Gate, Up, Down] (Gemma)
 * </pre>
 */
public final class FfnSlot {
    public enum Kind { GELU, SWIGLU, GEGLU }

    /** Computes projection {@code index} of the block on {@code input}. */
    @FunctionalInterface
    public interface Projection {
        NDArray apply(int index, NDArray input);
    }

    /** A whole-block replacement. */
    public interface Ffn {
        NDArray forward(NDArray x, ForwardContext ctx);
    }

    private final String name;
    private final Kind kind;
    private final List<LinearSlot> projections;
    private Ffn replacement; // null: the block as the model defines it

    public FfnSlot(String name, Kind kind, List<LinearSlot> projections) {
        if (projections.size() != (kind == Kind.GELU ? 2 : 3)) {
            throw new IllegalArgumentException(name + ": " + kind + " block needs " + (kind == Kind.GELU ? 2 : 3) + " projections");
        }
        this.name = name;
        this.kind = kind;
        this.projections = List.copyOf(projections);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public List<LinearSlot> projections() {
        return projections;
    }

    public Ffn replacement() {
        return replacement;
    }

    public void set(Ffn ffn) {
        this.replacement = ffn;
    }

    public NDArray forward(NDArray x, ForwardContext ctx) {
        if (replacement != null) {
            return replacement.forward(x, ctx);
        }
        return apply(x, (i, in) -> projections.get(i).forward(in, ctx));
    }

    /** The block's maths with projection {@code i} computed by {@code p}. */
    public NDArray apply(NDArray x, Projection p) {
        return switch (kind) {
            case GELU -> p.apply(1, Ops.gelu(p.apply(0, x)));
            case SWIGLU -> p.apply(2, Ops.silu(p.apply(0, x)).mul(p.apply(1, x)));
            case GEGLU -> p.apply(2, Ops.geluTanh(p.apply(0, x)).mul(p.apply(1, x)));
        };
    }
}
