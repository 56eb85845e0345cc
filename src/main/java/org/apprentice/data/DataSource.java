package org.apprentice.data;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.io.Sha256;
import org.apprentice.model.InputShape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Where a run's images come from, parsed from {@code --data}: {@code fashion-mnist}, {@code synthetic},
 * {@code cifar10:DIR}, or an ImageNet-style folder {@code DIR} (with {@code DIR/train} and {@code DIR/val}).
 * In-memory sets expose their training split (so a frozen teacher's logits can be attached once);
 * folders stream minibatches decoded by background workers, one minibatch ahead.
 */
public final class DataSource implements AutoCloseable {
    private String description;
    private final InputShape shape;
    private List<String> classNames;
    private DataSet trainSet;
    private DataSet testSet;
    private final ImageFolder trainFolder;
    private final ImageFolder valFolder;
    private final int workers;
    private final boolean skipBadImages;
    /** Resizes in-memory minibatches to the input size; null when they are stored at it. */
    private final Resize resize;
    /** The zero padding of in-memory images' random crop ({@link DataSpec#cropPadding()}). */
    private int cropPadding;
    /** The open image-folder iterators (at most one training and one test iterator) and what closed ones skipped. */
    private ImageFolderIterator trainImages;
    private ImageFolderIterator testImages;
    private long skippedByClosed;
    /** What the images are normalised with. */
    private org.apprentice.model.Normalization normalization;
    /** The training images kept ({@code --train-subset}), or 0 for the whole split. */
    private int trainSubset;
    /** {@link #fingerprint()}, once computed. */
    private String fingerprint;

    private DataSource(String description, InputShape shape, List<String> classNames, DataSet trainSet,
                       DataSet testSet, ImageFolder trainFolder, ImageFolder valFolder, int workers,
                       boolean skipBadImages, Resize resize) {
        this.resize = resize;
        this.description = description;
        this.shape = shape;
        this.classNames = classNames;
        this.trainSet = trainSet;
        this.testSet = testSet;
        this.trainFolder = trainFolder;
        this.valFolder = valFolder;
        this.workers = workers;
        this.skipBadImages = skipBadImages;
    }

    /**
     * @param imageSize input height and width for image folders
     * @param trainSubset training images kept (stratified, seeded); 0 keeps all
     */
    public static DataSource open(DataSpec spec, Path home, int imageSize, int trainSubset, long seed, int workers,
                                  boolean skipBadImages) {
        return open(spec, home, imageSize, trainSubset, seed, workers, skipBadImages, null);
    }

    /**
     * As above, with only the classes of {@code classes} (null: all), relabelled 0..k-1; the training subset is then
     * drawn from their images. In-memory data only: an image folder keeps the classes its folders hold.
     */
    public static DataSource open(DataSpec spec, Path home, int imageSize, int trainSubset, long seed, int workers,
                                  boolean skipBadImages, ClassSubset classes) {
        if (classes == null) {
            return openAll(spec, home, imageSize, trainSubset, seed, workers, skipBadImages);
        }
        if (!spec.inMemory()) {
            throw new IllegalArgumentException("--keep-classes is for in-memory data (fashion-mnist, cifar10:DIR, "
                    + "synthetic); an image folder's classes are its folders: make one with the classes to keep");
        }
        DataSource source = openAll(spec, home, imageSize, 0, seed, workers, skipBadImages);
        try {
            source.keep(classes, trainSubset, seed);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        return source;
    }

    /** Only the images of {@code classes}, relabelled; then {@code trainSubset} training images of them. */
    private void keep(ClassSubset classes, int subset, long seed) {
        List<String> names = classes.names(classNames);
        DataSet train = classes.keep(trainSet);
        int[] labels = ClassSubset.labels(train.getLabels());
        List<Integer> rows = Subsets.stratified(labels, subset, seed, names.size());
        trainSet = rows.size() == labels.length ? train : new ClassSubset(java.util.stream.IntStream.range(0,
                names.size()).boxed().toList()).rows(train, rows, labels);
        testSet = classes.keep(testSet);
        classNames = names;
        trainSubset = subset;
        description = description + ", classes " + classes.flag() + " " + names;
    }

    private static DataSource openAll(DataSpec spec, Path home, int imageSize, int trainSubset, long seed, int workers,
                                      boolean skipBadImages) {
        DataSource source = switch (spec.kind()) {
            case FASHION_MNIST -> inMemory("Fashion-MNIST", FashionMnist.SHAPE, FashionMnist.CLASS_NAMES,
                    FashionMnist.train(home, trainSubset, seed), FashionMnist.test(home), imageSize, workers);
            case SYNTHETIC -> synthetic(trainSubset, seed, imageSize, workers);
            case CIFAR10 -> {
                Path folder = resolve(spec.path(), home);
                yield inMemory("CIFAR-10 " + folder, Cifar10.SHAPE, Cifar10.CLASS_NAMES,
                        Cifar10.train(folder, trainSubset, seed), Cifar10.test(folder), imageSize, workers);
            }
            case IMAGE_FOLDER -> imageFolder(spec, home, imageSize, trainSubset, seed, workers, skipBadImages);
        };
        source.cropPadding = spec.cropPadding();
        source.normalization = switch (spec.kind()) {
            case FASHION_MNIST -> FashionMnist.NORMALIZATION;
            case SYNTHETIC -> SyntheticImages.NORMALIZATION;
            case CIFAR10 -> Cifar10.NORMALIZATION;
            case IMAGE_FOLDER -> ImageFolder.NORMALIZATION;
        };
        source.trainSubset = trainSubset;
        return source;
    }


    private static DataSource synthetic(int trainSubset, long seed, int imageSize, int workers) {
        int classes = SyntheticImages.CLASS_NAMES.size();
        if (trainSubset > 0) {
            Subsets.requireStratifiable(trainSubset, classes);
        }
        return inMemory("synthetic", SyntheticImages.SHAPE, SyntheticImages.CLASS_NAMES,
                SyntheticImages.generate(SyntheticImages.SHAPE, classes, trainSubset > 0 ? trainSubset : 256, seed),
                SyntheticImages.generate(SyntheticImages.SHAPE, classes, 128, seed + 1), imageSize, workers);
    }

    /** Images held as arrays at their {@code stored} size, fed at {@code imageSize} (resized per minibatch when they differ). */
    private static DataSource inMemory(String description, InputShape stored, List<String> classNames, DataSet train,
                                       DataSet test, int imageSize, int workers) {
        InputShape shape = new InputShape(stored.channels(), imageSize, imageSize);
        Resize resize = imageSize == stored.height() && imageSize == stored.width() ? null : new Resize(imageSize);
        return new DataSource(description + (resize == null ? "" : " resized to " + imageSize + "x" + imageSize), shape,
                classNames, train, test, null, null, workers, false, resize);
    }

    private static DataSource imageFolder(DataSpec spec, Path home, int imageSize, int trainSubset, long seed,
                                          int workers, boolean skipBadImages) {
        Path root = resolve(spec.path(), home);
        if (!java.nio.file.Files.isDirectory(root)) {
            throw new IllegalArgumentException("--data '" + spec + "' is not one of fashion-mnist, synthetic, "
                    + "cifar10:DIR, or an existing image folder DIR with DIR/train and DIR/val");
        }
        ImageFolder train = ImageFolder.scan(root, "train").subset(trainSubset, seed);
        ImageFolder val = ImageFolder.scan(root, "val");
        ImageFolder.requireSameClasses(train, val);
        return new DataSource("image folder " + root, new InputShape(3, imageSize, imageSize), train.classes(),
                null, null, train, val, workers, skipBadImages, null);
    }

    /** A user path: as given (from the working directory), else relative to the project (recipes say datasets/...). */
    private static Path resolve(Path path, Path home) {
        Path given = path.toAbsolutePath();
        return java.nio.file.Files.exists(given) || path.isAbsolute() ? given : home.resolve(path);
    }

    public String description() {
        return description;
    }

    public InputShape shape() {
        return shape;
    }

    public int classes() {
        return classNames.size();
    }

    public List<String> classNames() {
        return classNames;
    }

    /** What the images are normalised with (from pixels in [0, 1]); a model trained on them records it. */
    public org.apprentice.model.Normalization normalization() {
        return normalization;
    }

    /**
     * Normalises the images with {@code other} from now on (a model started from a file expects the inputs it was
     * trained on): in-memory images are converted (to pixels and back), image folders are decoded with it. Refused in
     * one line when its channels are not the images'.
     */
    public void renormalize(org.apprentice.model.Normalization other, String whose) {
        if (other.equals(normalization)) {
            return;
        }
        if (other.mean().length != 1 && other.mean().length != shape.channels()) {
            throw new IllegalArgumentException(whose + " was trained on " + other.mean().length + "-channel inputs "
                    + "normalised with " + other + "; the data are " + shape.channels() + "-channel");
        }
        if (trainSet != null) {
            for (DataSet split : new DataSet[] {trainSet, testSet}) {
                split.setFeatures(other.normalize(normalization.pixels(split.getFeatures())));
            }
        }
        normalization = other;
        fingerprint = null;
    }

    /** The in-memory training split, or null for image folders. */
    public DataSet trainSet() {
        return trainSet;
    }

    /** Replaces the in-memory training split (e.g. with teacher logits attached to its labels). */
    public void replaceTrainSet(DataSet replacement) {
        this.trainSet = replacement;
    }

    public long trainExamples() {
        return trainSet != null ? trainSet.numExamples() : trainFolder.samples().size();
    }

    public long testExamples() {
        return testSet != null ? testSet.numExamples() : valFolder.samples().size();
    }

    /** Training minibatches for {@code epoch}, in an order fixed by the seed and the epoch. */
    public DataSetIterator train(int epoch, int batch, long seed, Augment augment) {
        if (trainSet != null) {
            // each epoch's order is a function of (seed, epoch) alone, from the canonical order, so a
            // resumed run sees the same minibatches as an uninterrupted one
            DataSet epochOrder = trainSet.copy();
            epochOrder.shuffle(seed + epoch);
            DataSetIterator stored = SyntheticImages.iterator(epochOrder, batch);
            if (augment == Augment.NONE) {
                return atInputSize(stored);
            }
            CropFlip cropFlip = new CropFlip(cropPadding, seed, epoch);
            return new MappedBatches(stored, b -> atInputSize(cropFlip.apply(b)));
        }
        trainImages = replace(trainImages, new ImageFolderIterator(trainFolder, shape.height(),
                augment == Augment.CROP_FLIP, batch, workers, seed + 1_000L * epoch, skipBadImages, normalization));
        return trainImages;
    }

    /** The whole test (validation) split. */
    public DataSetIterator test(int batch) {
        if (testSet != null) {
            return atInputSize(SyntheticImages.iterator(testSet, batch));
        }
        testImages = replace(testImages, new ImageFolderIterator(valFolder, shape.height(), false, batch, workers, 0,
                skipBadImages, normalization));
        return testImages;
    }

    /**
     * A SHA-256 of the data's content, computed once: for in-memory sets, the bytes of the training (subset) and test
     * images and labels as float32 in C order; for image folders, every file's path relative to the data folder (with
     * '/'), its size, its label and its split. A folder's fingerprint does not read the images: a file rewritten
     * with other pixels but the same size keeps it.
     */
    public String fingerprint() throws java.io.IOException {
        if (fingerprint == null) {
            fingerprint = trainFolder == null ? arraysFingerprint() : folderFingerprint();
        }
        return fingerprint;
    }

    private String arraysFingerprint() {
        java.security.MessageDigest digest = Sha256.digest();
        for (INDArray a : new INDArray[] {trainSet.getFeatures(), trainSet.getLabels(), testSet.getFeatures(),
                testSet.getLabels()}) {
            digest.update(("array " + java.util.Arrays.toString(a.shape()) + "\n").getBytes(StandardCharsets.UTF_8));
            INDArray c = a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c');
            java.nio.ByteBuffer bytes = c.data().asNio().order(java.nio.ByteOrder.nativeOrder());
            bytes.limit((int) (c.length() * Float.BYTES));
            digest.update(bytes);
        }
        return java.util.HexFormat.of().formatHex(digest.digest());
    }

    private String folderFingerprint() throws java.io.IOException {
        java.util.List<String> lines = new java.util.ArrayList<>();
        for (ImageFolder split : new ImageFolder[] {trainFolder, valFolder}) {
            Path root = split.folder().getParent();
            for (ImageFolder.Sample s : split.samples()) {
                lines.add(root.relativize(s.file()).toString().replace(java.io.File.separatorChar, '/') + " "
                        + java.nio.file.Files.size(s.file()) + " " + s.label());
            }
        }
        return Sha256.ofLines(lines);
    }

    /**
     * Refuses, in one line naming where the size came from ({@code sizeSource}, e.g. "--image-size 100000") and the
     * flags that set it, an input size at which one minibatch of {@code batch} images (as float32)
     * could not fit the memory ND4J may use (its off-heap limit, {@code -Dorg.bytedeco.javacpp.maxbytes}, or the
     * machine's memory if smaller): a size like {@code --image-size 100000} fails here, before any image is decoded,
     * rather than as an allocation error blamed on the first image.
     */
    public void requireMinibatchFits(int batch, String sizeSource) {
        long limit = org.bytedeco.javacpp.Pointer.maxBytes() > 0
                ? Math.min(org.bytedeco.javacpp.Pointer.maxBytes(), org.bytedeco.javacpp.Pointer.totalPhysicalBytes())
                : org.bytedeco.javacpp.Pointer.totalPhysicalBytes();
        double bytes = (double) batch * shape.channels() * shape.height() * shape.width() * Float.BYTES;
        if (bytes > limit) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s: one minibatch of %d images of "
                    + "%s needs %.1f GB before the network runs, more than the %.1f GB this JVM may use; give a smaller "
                    + "--image-size or --batch", sizeSource, batch, shape, bytes / 1e9, limit / 1e9));
        }
    }

    /** The model store's key of this data: its classes, content, training subset (drawn with {@code seed}) and input. */
    public DataKey key(long seed) throws java.io.IOException {
        return new DataKey(classNames, fingerprint(), trainSubset, trainSubset == 0 ? 0 : seed, shape);
    }

    /** An in-memory minibatch at the input size: resized in place when the images are stored at another size. */
    private org.nd4j.linalg.dataset.api.DataSet atInputSize(org.nd4j.linalg.dataset.api.DataSet batch) {
        if (resize != null) {
            resize.preProcess(batch);
        }
        return batch;
    }

    private DataSetIterator atInputSize(DataSetIterator it) {
        if (resize != null) {
            it.setPreProcessor(resize);
        }
        return it;
    }

    /** In-memory images (as the training split holds them) brought to the input size: themselves unless resized. */
    public INDArray toInput(INDArray stored) {
        return resize == null ? stored : Resize.resize(stored, shape.height());
    }

    /** Closes {@code old} (its decoding threads) once a new iterator takes its place. */
    private ImageFolderIterator replace(ImageFolderIterator old, ImageFolderIterator fresh) {
        if (old != null) {
            skippedByClosed += old.skippedImages();
            old.close();
        }
        return fresh;
    }

    /** Image files left out so far because they did not decode (with --skip-bad-images). */
    public long skippedImages() {
        return skippedByClosed + (trainImages == null ? 0 : trainImages.skippedImages())
                + (testImages == null ? 0 : testImages.skippedImages());
    }

    /** Stops the image-decoding threads of the open iterators. */
    @Override
    public void close() {
        trainImages = replace(trainImages, null);
        testImages = replace(testImages, null);
    }
}
