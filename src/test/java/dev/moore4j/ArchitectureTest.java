package dev.moore4j;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The package graph, read from the compiled classes (imports and fully qualified names alike): no cycle
 * between top-level packages, and every package imports only those below it in {@link #LAYERS}.
 */
class ArchitectureTest {
    /** Bottom to top: a package may use the ones before it, never one after it. */
    static final List<String> LAYERS = List.of("engine", "tokenizer", "io", "task", "linalg", "util", "model", "adapter", "config", "mtl",
            "eval", "checkpoint", "train", "harness", "report", "api", "serve", "cli");

    /** The main classes only: the folder (or jar) that holds {@link MooreException}'s class file. */
    private static final JavaClasses MAIN = mainClasses();

    private static JavaClasses mainClasses() {
        try {
            return new ClassFileImporter().importPath(Path.of(MooreException.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static ArchRule noCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    @Test
    void topLevelPackagesFormNoCycle() {
        noCycles("dev.moore4j").check(MAIN);
    }

    @Test
    void noPackageImportsOneAboveIt() {
        for (int i = 0; i < LAYERS.size(); i++) {
            List<String> above = new ArrayList<>();
            for (String p : LAYERS.subList(i + 1, LAYERS.size())) {
                above.add("dev.moore4j." + p + "..");
            }
            if (above.isEmpty()) {
                continue;
            }
            noClasses().that().resideInAPackage("dev.moore4j." + LAYERS.get(i) + "..").should().dependOnClassesThat()
                    .resideInAnyPackage(above.toArray(String[]::new)).check(MAIN);
        }
    }

    static final String ADAPTER = "dev.moore4j.adapter";

    /**
     * Inside {@code adapter}: the shared interfaces (the package itself), {@code common} (what several methods build
     * on), one package per method, and the registry (the classes named in {@code registry}: {@code Methods}, and
     * {@code Adapter}, which attaches a method by its name), which alone may import every method. No cycle among these slices, so neither the interfaces nor {@code common} reach a method.
     */
    record AdapterSlices(String root, Set<String> registry) implements SliceAssignment {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String p = c.getPackageName();
            if (!p.equals(root) && !p.startsWith(root + ".")) {
                return SliceIdentifier.ignore();
            }
            if (p.equals(root) && registry.contains(c.getName().substring(root.length() + 1).split("\\$")[0])) {
                return SliceIdentifier.of("registry");
            }
            return SliceIdentifier.of(p.equals(root) ? "interfaces" : p.substring(root.length() + 1).split("\\.")[0]);
        }

        @Override
        public String getDescription() {
            return root + "'s interfaces, common, each method and the registry";
        }

        ArchRule noCycle() {
            return slices().assignedFrom(this).should().beFreeOfCycles();
        }

        /** {@code common} is what methods share: it names none of them. */
        ArchRule commonImportsNoMethod() {
            return noClasses().that().resideInAPackage(root + ".common..").should().dependOnClassesThat(DescribedPredicate.describe(
                    "a method's package", (JavaClass c) -> c.getPackageName().startsWith(root + ".") && !c.getPackageName().startsWith(root + ".common")));
        }
    }

    @Test
    void adapterPackagesFormNoCycleAndCommonImportsNoMethod() {
        AdapterSlices a = new AdapterSlices(ADAPTER, Set.of("Methods", "Adapter"));
        a.noCycle().check(MAIN);
        a.commonImportsNoMethod().check(MAIN);
    }

    @Test
    void theAdapterRulesFailOnALoopAndOnCommonImportingAMethod() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.moore4j.archfixture.adapter");
        AdapterSlices a = new AdapterSlices("dev.moore4j.archfixture.adapter", Set.of("Registry"));
        assertThatThrownBy(() -> a.noCycle().check(fixture)).isInstanceOf(AssertionError.class).hasMessageContaining("Cycle detected");
        assertThatThrownBy(() -> a.commonImportsNoMethod().check(fixture)).isInstanceOf(AssertionError.class).hasMessageContaining("Shared");
    }

    @Test
    void everyTopLevelPackageHasALayer() {
        List<String> unknown = MAIN.stream().map(c -> c.getPackageName())
                .filter(p -> p.startsWith("dev.moore4j.")).map(p -> p.substring("dev.moore4j.".length()).split("\\.")[0]).distinct()
                .filter(p -> !LAYERS.contains(p)).toList();
        assertThat(unknown).as("packages missing from LAYERS").isEmpty();
    }

    @Test
    void theCycleRuleFailsOnACycle() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.moore4j.archfixture");
        assertThatThrownBy(() -> noCycles("dev.moore4j.archfixture").check(fixture)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected");
    }
}
