// An adapted encoder as a langchain4j EmbeddingModel: any embedding store or RAG pipeline takes it unchanged.
//   java -cp "target/moore4j.jar:target/lib/*" examples/java/LangChainSearch.java runs/demo/runs/main-moore-lr1e-4-s1/best
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.CosineSimilarity;
import dev.moore4j.api.AdaptedModel;
import dev.moore4j.api.MooreEmbeddingModel;

import java.nio.file.Path;
import java.util.List;

public class LangChainSearch {
    public static void main(String[] args) {
        try (AdaptedModel adapted = AdaptedModel.open(Path.of(args[0]))) {
            EmbeddingModel em = new MooreEmbeddingModel(adapted, null); // task-free routing; name a task to route by it
            List<String> docs = List.of("The cat sat on the mat.", "Stocks fell sharply on Monday.", "A kitten slept on the rug.");
            Embedding query = em.embed("Where is the cat?").content();
            String best = docs.stream().max((a, b) -> Double.compare(
                    CosineSimilarity.between(query, em.embed(a).content()), CosineSimilarity.between(query, em.embed(b).content()))).orElseThrow();
            System.out.println("closest: " + best);
        }
    }
}
