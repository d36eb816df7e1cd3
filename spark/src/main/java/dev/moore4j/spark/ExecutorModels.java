package dev.moore4j.spark;

import dev.moore4j.MooreException;
import dev.moore4j.api.AdaptedModel;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of one executor JVM: each (adapter or base model, threads) is opened once, lazily, by the first task
 * that needs it, and shared by every later task of that JVM; tasks queue on it (its forward passes already use
 * the executor's cores). This is the one piece of JVM-wide state in moore4j, and it has to be: Spark gives a
 * transformer no executor lifecycle of its own, and reloading a model per partition would cost more than the
 * partition. An adapter directory on a Hadoop-compatible file system (hdfs://, s3a://, …) is copied to local disk
 * once per executor first.
 */
final class ExecutorModels {
    private ExecutorModels() {}

    /** What identifies an opened model: the adapter directory or base model reference, and the compute threads. */
    record Key(String adapterPath, String baseModel, int threads) {}

    private static final Map<Key, AdaptedModel> OPEN = new ConcurrentHashMap<>();

    static AdaptedModel get(Key key) {
        return OPEN.computeIfAbsent(key, ExecutorModels::open);
    }

    private static AdaptedModel open(Key k) {
        if (k.adapterPath() != null && !k.adapterPath().isEmpty()) {
            return AdaptedModel.open(local(k.adapterPath()), k.baseModel(), k.threads());
        }
        if (k.baseModel() == null || k.baseModel().isEmpty()) {
            throw new MooreException("moore4j-spark: set adapterPath (an adapter directory) or baseModel (a model reference such as minilm)");
        }
        return AdaptedModel.base(k.baseModel(), k.threads());
    }

    /** The adapter directory as a local path: as is for a plain path or file:, else copied from its file system once. */
    static Path local(String path) {
        URI uri = URI.create(path.replace(" ", "%20"));
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            Path p = uri.getScheme() == null ? Path.of(path) : Path.of(uri);
            if (!Files.isDirectory(p)) {
                throw new MooreException(path + ": no adapter directory here (on this executor's file system)");
            }
            return p;
        }
        try {
            Path dir = Files.createTempDirectory("moore4j-adapter-");
            org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = src.getFileSystem(new Configuration());
            fs.copyToLocalFile(false, src, new org.apache.hadoop.fs.Path(dir.toUri()), true);
            Path copied = dir.resolve(src.getName());
            return Files.isDirectory(copied) ? copied : dir;
        } catch (IOException e) {
            throw new MooreException(path + ": cannot copy the adapter to the executor: " + e.getMessage());
        }
    }
}
