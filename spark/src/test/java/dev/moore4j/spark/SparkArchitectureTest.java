package dev.moore4j.spark;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Spark module sees moore4j through its public API only ({@code dev.moore4j.api} and the root package's
 * {@code MooreException}): the model families, trainer and server may change without touching it.
 */
class SparkArchitectureTest {
    /** Classes of {@code pkg} use no moore4j class outside the API, the root package and {@code pkg} itself. */
    static ArchRule usesTheApiOnly(String pkg) {
        return noClasses().that().resideInAPackage(pkg + "..").should().dependOnClassesThat(DescribedPredicate.describe(
                "moore4j outside its API", (JavaClass c) -> {
                    String p = c.getPackageName();
                    return p.startsWith("dev.moore4j.") && !p.startsWith("dev.moore4j.api") && !p.startsWith(pkg);
                }));
    }

    @Test
    void sparkUsesTheApiOnly() { // its main classes: its tests may use core's test helpers
        JavaClasses spark = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.moore4j.spark");
        usesTheApiOnly("dev.moore4j.spark").check(spark);
    }

    @Test
    void theRuleFailsOnAClassThatReachesPastTheApi() {
        JavaClasses fixture = new ClassFileImporter().importPackages("dev.moore4j.sparkfixture");
        assertThatThrownBy(() -> usesTheApiOnly("dev.moore4j.sparkfixture").check(fixture)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("dev.moore4j.model.TransformerModel");
    }
}
