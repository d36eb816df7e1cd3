package dev.moore4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;

/** {@code moore moeize}: MoORE's spelling of {@code adapt --method moore}, with its own shortcuts. */
@Command(name = "moeize", description = "Factorise the target layers of a model into MoORE layers (adapt --method moore); --verify checks the result equals the base model.")
final class MoeizeCommand extends AdaptCommand {
    @Option(names = "--householder", description = "Householder vectors L (even); same as --set householder=L.")
    Integer householder;

    @Option(names = "--svd-fp64", description = "Factorise in double precision; same as --set svd_fp64=true.")
    boolean svdFp64;

    @Override
    protected Map<String, Object> overrides() {
        Map<String, Object> o = super.overrides();
        if (householder != null) {
            o.put("householder", householder);
        }
        if (svdFp64) {
            o.put("svd_fp64", true);
        }
        return o;
    }
}
