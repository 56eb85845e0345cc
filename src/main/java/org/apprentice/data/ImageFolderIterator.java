package org.apprentice.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
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
public final class ImageFolderIterator implements DataSetIterator, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderIterator.class);

    /** An image being decoded: its position in the split and its future pixels. */
    private record Decoding(int index, Future<INDArray> pixels) {
    }

    private final ImageFolder split;
    private final int size;
    private final boolean training;
    private final int batch;
    private final long seed;
    private final boolean skipBadImages;
    private final ExecutorService pool;
    /** The pool's threads, which {@link #close()} waits for. */
    private final java.util.List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ThreadLocal<ImageDecoder> decoders;
    private final AtomicLong skipped = new AtomicLong();
    /** Decoding started, in order: the rest of the minibatch being assembled and the next one. */
    private final Deque<Decoding> queue = new ArrayDeque<>();
    private List<Integer> order;
    private int cursor;
    private int epoch;
    private long deliveredThisEpoch;
    private DataSet ready;
    private DataSetPreProcessor preProcessor;

    /** As below, normalized as ImageNet's ({@link ImageFolder#NORMALIZATION}). */
    public ImageFolderIterator(ImageFolder split, int size, boolean training, int batch, int workers, long seed,
                               boolean skipBadImages) {
        this(split, size, training, batch, workers, seed, skipBadImages, ImageFolder.NORMALIZATION);
    }

    public ImageFolderIterator(ImageFolder split, int size, boolean training, int batch, int workers, long seed,
                               boolean skipBadImages, org.apprentice.model.Normalization normalization) {
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
            threads.add(t);
            return t;
        });
        this.decoders = ThreadLocal.withInitial(() ->
                new ImageDecoder(size, normalization));
        this.epoch = 0;
        startEpoch();
    }

    private void startEpoch() {
        queue.forEach(d -> d.pixels().cancel(false));
        queue.clear();
        ready = null;
        deliveredThisEpoch = 0;
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

    /** Starts decoding until {@code count} images are queued or the epoch's order is used up. */
    private void topUp(int count) {
        while (queue.size() < count && cursor < order.size()) {
            int index = order.get(cursor++);
            ImageFolder.Sample sample = split.samples().get(index);
            Random random = training ? new Random(seed * 1_000_003L + epoch * 7_919L + index) : null;
            queue.add(new Decoding(index, pool.submit(() -> decoders.get().decode(sample.file(), random))));
        }
    }

    /**
     * The next minibatch of up to {@code num} good images, filled from the following ones when some are bad;
     * null when the epoch has no image left. While it is trained on, the next one is already being decoded.
     */
    private DataSet assemble(int num) {
        List<INDArray> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        while (images.size() < num) {
            topUp(num);
            Decoding d = queue.poll();
            if (d == null) {
                break;
            }
            INDArray pixels = decoded(d);
            if (pixels != null) {
                images.add(pixels);
                labels.add(split.samples().get(d.index()).label());
            }
        }
        topUp(num); // the next minibatch
        if (images.isEmpty()) {
            return null;
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

    /** The decoded image, or null for a bad file left out with {@code skipBadImages}. */
    private INDArray decoded(Decoding d) {
        try {
            return d.pixels().get();
        } catch (ExecutionException e) {
            String why = e.getCause() instanceof ImageDecoder.BadImageException ? e.getCause().getMessage()
                    : split.samples().get(d.index()).file() + ": " + e.getCause();
            if (!skipBadImages) {
                throw new IllegalStateException("bad image " + why + " (--skip-bad-images leaves such files out)");
            }
            skipped.incrementAndGet();
            LOG.warn("skipping bad image {}", why);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding images", e);
        }
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext(num)) {
            throw new java.util.NoSuchElementException("no image left in " + split.folder() + " this epoch");
        }
        DataSet out = ready;
        ready = null;
        deliveredThisEpoch += out.numExamples();
        return out;
    }

    @Override
    public DataSet next() {
        return next(batch);
    }

    @Override
    public boolean hasNext() {
        return hasNext(batch);
    }

    private boolean hasNext(int num) {
        if (ready == null && (cursor < order.size() || !queue.isEmpty())) {
            ready = assemble(num);
        }
        if (ready == null && deliveredThisEpoch == 0 && !split.samples().isEmpty()) {
            throw new IllegalStateException("no image of " + split.folder() + " could be decoded ("
                    + skipped.get() + " bad files left out): nothing to " + (training ? "train" : "evaluate") + " on");
        }
        return ready != null;
    }

    @Override
    public void reset() {
        epoch++;
        startEpoch();
    }

    /**
     * Stops the decoding threads and waits until they have ended (a decode in progress finishes its image; at most 30
     * s); the iterator cannot be used afterwards.
     */
    @Override
    public void close() {
        queue.forEach(d -> d.pixels().cancel(true));
        queue.clear();
        pool.shutdownNow();
        try {
            for (Thread t : threads) {
                t.join(30_000);
                if (t.isAlive()) {
                    throw new IllegalStateException("an image-decoding thread did not stop within 30 s of closing");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
