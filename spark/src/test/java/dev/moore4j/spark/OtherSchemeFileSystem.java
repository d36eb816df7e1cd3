package dev.moore4j.spark;

import org.apache.hadoop.fs.RawLocalFileSystem;

import java.net.URI;

/**
 * The local disk under another scheme ({@code otherfs:///abs/path}), registered through the Hadoop service file: a
 * stand-in for hdfs:// or s3a:// that makes an executor take the copy path, without a cluster.
 */
public class OtherSchemeFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "otherfs";

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }
}
