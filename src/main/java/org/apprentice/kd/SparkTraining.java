package org.apprentice.kd;

import java.util.ServiceLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Training epochs through Deeplearning4j's Spark module ({@code dl4j-spark_2.12}): the student's
 * minibatches become an RDD, Spark's workers each fit a share and their parameters and updater states
 * are averaged after every step. The implementation lives in the Spark build only ({@code mvn -Pcpu,spark},
 * {@code APPRENTICE_SPARK=1 bin/apprentice}), which Maven Central serves at 1.0.0-M2, one release behind
 * this project's DL4J; the default build has none and says so in one line.
 */
public interface SparkTraining extends AutoCloseable {

    /** Spark's workers: each takes {@code batch / workers()} images of every minibatch of {@code batch}. */
    int workers();

    /** One pass over {@code labelledBatches} (minibatches of batch / workers); the mean loss Spark reports. */
    double fit(ComputationGraph student, DataSetIterator labelledBatches);

    @Override
    void close();

    /** Found with {@link ServiceLoader} in the Spark build. */
    interface Provider {
        SparkTraining start(String master);
    }

    /** Starts Spark at {@code master} (local[N], or a cluster's URL); refused in a build without Spark. */
    static SparkTraining start(String master) {
        return ServiceLoader.load(Provider.class).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--spark " + master + ": this build has no Spark; "
                        + "run with APPRENTICE_SPARK=1 bin/apprentice (it builds with mvn -Pcpu,spark)"))
                .start(master);
    }
}
