package dev.moore4j.harness;

import java.util.Locale;

/**
 * One run of a suite, as the harness names it everywhere: the results database's key, the plan's entries, the
 * progress table's rows and the directory a run trains in ({@link #dirName}).
 */
public record RunId(String suite, Kind kind, String method, long seed, double lr) {
    /** What a run is for: the main matrix, the rate sweep, one task alone (the conflict pass) or one stage of a sequence. */
    public sealed interface Kind permits Main, Sweep, Single, Stage {
        /** The kind as the database and run directories spell it: {@code main}, {@code sweep}, {@code single-TASK}, {@code seqK-rN-ORDER}. */
        String key();

        static Kind of(String key) {
            if (key.equals(MAIN.key())) {
                return MAIN;
            }
            if (key.equals(SWEEP.key())) {
                return SWEEP;
            }
            if (key.startsWith(Single.PREFIX) && key.length() > Single.PREFIX.length()) {
                return new Single(key.substring(Single.PREFIX.length()));
            }
            java.util.regex.Matcher m = Stage.KEY.matcher(key);
            if (m.matches()) {
                return new Stage(m.group(3), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(1)));
            }
            throw new IllegalArgumentException("not a kind of run: '" + key + "' (main, sweep, single-TASK or seqK-rN-ORDER)");
        }
    }

    public record Main() implements Kind {
        @Override
        public String key() {
            return "main";
        }
    }

    /** Scored on the validation split carved from the training data, never the evaluation split. */
    public record Sweep() implements Kind {
        @Override
        public String key() {
            return "sweep";
        }
    }

    public record Single(String task) implements Kind {
        static final String PREFIX = "single-";

        @Override
        public String key() {
            return PREFIX + task;
        }
    }

    /**
     * Stage {@code index} (0: the first) of a sequential run in order {@code order}, replaying {@code replay} examples of
     * each earlier task; every stage after the first continues the adapter of the one before.
     */
    public record Stage(String order, int replay, int index) implements Kind {
        static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("seq(\\d+)-r(\\d+)-(.+)");

        @Override
        public String key() {
            return "seq" + index + "-r" + replay + "-" + order;
        }

        /** The stage this one continues (index − 1 of the same sequence). */
        public Stage previous() {
            if (index == 0) {
                throw new IllegalStateException("the first stage continues nothing");
            }
            return new Stage(order, replay, index - 1);
        }
    }

    public static final Kind MAIN = new Main();
    public static final Kind SWEEP = new Sweep();

    /** {@code KIND-METHOD-lrRATE-sSEED}, with a method variant's brackets made safe for a file name. */
    public String dirName() {
        String safe = method.replace("[", "_").replace("]", "").replace("=", "-").replace(",", "_");
        return String.format(Locale.ROOT, "%s-%s-lr%s-s%d", kind.key(), safe, rate(lr), seed);
    }

    /** A rate as the harness prints it: {@code 3e-4}. */
    public static String rate(double lr) {
        return String.format(Locale.ROOT, "%.0e", lr).replace("e-0", "e-");
    }
}
