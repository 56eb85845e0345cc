package org.apprentice.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Minibatches of an {@link ImageFolder}, decoded by {@code workers} threads. Reproducible under a seed
 * whatever the thread timing: each epoch's order comes from {@code seed + epoch}, and each image's
 * augmentation from its own generator seeded by (seed, epoch, index). A bad file stops the run with
 * its name, or, with {@code skipBadImages}, is left out with one warning line and counted.
 * While one minibatch is trained on, the next is already being decoded; errors surface on the caller's
 * thread, when their minibatch is taken.
 */
public final class ImageFolderIterator implements DataSetIterator {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderIterator.class);

    private final ImageFolder split;
    private final int size;
    private final boolean training;
    private final int batch;
    private final long seed;
    private final boolean skipBadImages;
    private final ExecutorService pool;
    private final ThreadLocal<ImageDecoder> decoders;
    private final AtomicLong skipped = new AtomicLong();
    private List<Integer> order;
    private int cursor;
    private int epoch;
    private DataSetPreProcessor preProcessor;

    public ImageFolderIterator(ImageFolder split, int size, boolean training, int batch, int workers, long seed,
                               boolean skipBadImages) {
        if (workers < 1) {
            throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
        }
        this.split = split;
        this.size = size;
        this.training = training;
        this.batch = batch;
        this.seed = seed;
        this.skipBadImages = skipBadImages;
        this.pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "image-decoder");
            t.setDaemon(true);
            return t;
        });
        this.decoders = ThreadLocal.withInitial(() ->
                new ImageDecoder(size, ImageDecoder.IMAGENET_MEAN, ImageDecoder.IMAGENET_STD));
        this.epoch = 0;
        startEpoch();
    }

    private void startEpoch() {
        prefetched = null;
        prefetchedIndices = null;
        order = new ArrayList<>();
        for (int i = 0; i < split.samples().size(); i++) {
            order.add(i);
        }
        if (training) {
            Collections.shuffle(order, new Random(seed + epoch));
        }
        cursor = 0;
    }

    /** Images left out so far because they did not decode (with {@code skipBadImages}). */
    public long skippedImages() {
        return skipped.get();
    }

    /** Decoding started for the minibatch after the one last returned (indices and their futures). */
    private List<Integer> prefetchedIndices;
    private List<Future<INDArray>> prefetched;

    private List<Future<INDArray>> submit(List<Integer> indices) {
        List<Future<INDArray>> futures = new ArrayList<>();
        for (int index : indices) {
            ImageFolder.Sample sample = split.samples().get(index);
            Random random = training ? new Random(seed * 1_000_003L + epoch * 7_919L + index) : null;
            futures.add(pool.submit(() -> decoders.get().decode(sample.file(), random)));
        }
        return futures;
    }

    @Override
    public DataSet next(int num) {
        List<Integer> indices;
        List<Future<INDArray>> futures;
        if (prefetched != null && prefetchedIndices.size() == Math.min(num, order.size() - cursor)) {
            indices = prefetchedIndices;
            futures = prefetched;
        } else {
            indices = new ArrayList<>(order.subList(cursor, Math.min(order.size(), cursor + num)));
            futures = submit(indices);
        }
        cursor += indices.size();
        // start decoding the next minibatch while this one is assembled and trained on
        prefetchedIndices = new ArrayList<>(order.subList(cursor, Math.min(order.size(), cursor + num)));
        prefetched = prefetchedIndices.isEmpty() ? null : submit(prefetchedIndices);
        List<INDArray> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                images.add(futures.get(i).get());
                labels.add(split.samples().get(indices.get(i)).label());
            } catch (ExecutionException e) {
                String why = e.getCause() instanceof ImageDecoder.BadImageException ? e.getCause().getMessage()
                        : split.samples().get(indices.get(i)).file() + ": " + e.getCause();
                if (!skipBadImages) {
                    throw new IllegalStateException("bad image " + why + " (--skip-bad-images leaves such files out)");
                }
                skipped.incrementAndGet();
                LOG.warn("skipping bad image {}", why);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while decoding images", e);
            }
        }
        if (images.isEmpty()) {
            return hasNext() ? next(num) : new DataSet(Nd4j.zeros(DataType.FLOAT, 0, 3, size, size),
                    Nd4j.zeros(DataType.FLOAT, 0, totalOutcomes()));
        }
        INDArray x = Nd4j.stack(0, images.toArray(new INDArray[0]));
        INDArray y = Nd4j.zeros(DataType.FLOAT, images.size(), totalOutcomes());
        for (int i = 0; i < labels.size(); i++) {
            y.putScalar(i, labels.get(i), 1.0);
        }
        DataSet ds = new DataSet(x, y);
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public DataSet next() {
        return next(batch);
    }

    @Override
    public boolean hasNext() {
        return cursor < order.size();
    }

    @Override
    public void reset() {
        epoch++;
        startEpoch();
    }

    @Override
    public int inputColumns() {
        return 3 * size * size;
    }

    @Override
    public int totalOutcomes() {
        return split.classes().size();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return true;
    }

    @Override
    public int batch() {
        return batch;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return split.classes();
    }
}
