// Library API in a few lines: open an adapter, embed and predict per task, in one forward pass for mixed tasks.
//   java -cp "target/moore4j.jar:target/lib/*" examples/java/AdapterApi.java runs/demo/runs/main-moore-lr1e-4-s1/best
import dev.moore4j.api.AdaptedModel;

import java.nio.file.Path;
import java.util.List;

public class AdapterApi {
    public static void main(String[] args) {
        try (AdaptedModel model = AdaptedModel.open(Path.of(args[0]))) {
            System.out.println("tasks: " + model.tasks());
            float[][] e = model.embed(List.of("a gorgeous, witty film"), model.tasks().get(0).name());
            System.out.println("embedding: " + e[0].length + " dims");
            for (AdaptedModel.Prediction p : model.predict(List.of(
                    AdaptedModel.Input.text("sst2", "a gorgeous, witty film"),
                    AdaptedModel.Input.choice("arc-e", "Which of these is a source of light?", List.of("a rock", "the Sun", "a shadow"))))) {
                System.out.println(p.task() + ": " + (p.choice() != null ? p.choice() + " " + java.util.Arrays.toString(p.scores())
                        : p.label() + " " + p.probabilities()));
            }
        }
    }
}
