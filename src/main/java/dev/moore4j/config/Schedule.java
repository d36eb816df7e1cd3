package dev.moore4j.config;

import dev.moore4j.MooreException;

import java.util.List;

/**
 * Learning-rate multiplier of the 1-based optimiser step (METHODS §3). Every schedule starts with a
 * linear warmup over the first {@code warmup} fraction of steps; then
 * <ul>
 *   <li>{@code constant}: stays at 1 (with warmup 0.1 this is what the reference code runs);</li>
 *   <li>{@code cosine}: half a cosine down to 0 at the last step;</li>
 *   <li>{@code wsd}: warmup-stable-decay, 1 until the last {@code decay} fraction, then linearly to 0.</li>
 * </ul>
 */
public record Schedule(String name, double warmup, double decay, int totalSteps) {
    /** Every schedule name, for the readers of configs and suite files to check against. */
    public static final List<String> NAMES = List.of("constant", "cosine", "wsd");

    public Schedule {
        if (!NAMES.contains(name)) {
            throw new MooreException("schedule '" + name + "' is unknown (" + String.join(", ", NAMES) + ")");
        }
        if (warmup < 0 || warmup > 1 || decay < 0 || decay > 1 || warmup + (name.equals("wsd") ? decay : 0) > 1) {
            throw new MooreException("schedule fractions must lie in [0, 1] (warmup " + warmup + ", decay " + decay + ")");
        }
    }

    public double multiplier(int step) {
        int warm = (int) Math.round(warmup * totalSteps);
        if (step <= warm) {
            return (double) step / Math.max(1, warm);
        }
        return switch (name) {
            case "cosine" -> 0.5 * (1 + Math.cos(Math.PI * (step - warm) / Math.max(1, totalSteps - warm)));
            case "wsd" -> {
                int decaySteps = (int) Math.round(decay * totalSteps);
                int decayFrom = totalSteps - decaySteps;
                yield step <= decayFrom ? 1.0 : Math.max(0, (double) (totalSteps - step) / Math.max(1, decaySteps));
            }
            default -> 1.0;
        };
    }
}
