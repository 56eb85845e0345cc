package org.apprentice.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The ResNets Apprentice knows, by name: the torchvision depth table for the ImageNet shape and
 * He et al.'s 6n+2 family for small images.
 */
public final class ModelRegistry {
    private static final Map<String, ResNetArchitecture> MODELS = new LinkedHashMap<>();

    static {
        // torchvision's depth table; each taught by the next deeper one (resnet152 by itself)
        imagenet("resnet18", "resnet34", BlockType.BASIC, 2, 2, 2, 2);
        imagenet("resnet34", "resnet50", BlockType.BASIC, 3, 4, 6, 3);
        imagenet("resnet50", "resnet101", BlockType.BOTTLENECK, 3, 4, 6, 3);
        imagenet("resnet101", "resnet152", BlockType.BOTTLENECK, 3, 4, 23, 3);
        imagenet("resnet152", "resnet152", BlockType.BOTTLENECK, 3, 8, 36, 3);
        // He et al.'s 6n+2 family for small images; each taught by the next deeper one (resnet56 by resnet110)
        int[] ns = {1, 3, 5, 7, 9, 18};
        for (int i = 0; i < ns.length; i++) {
            String name = "resnet" + (6 * ns[i] + 2);
            String teacher = "resnet" + (6 * ns[Math.min(i + 1, ns.length - 1)] + 2);
            MODELS.put(name, new ResNetArchitecture(name, StemShape.SMALL_IMAGE, BlockType.BASIC,
                    new int[] {ns[i], ns[i], ns[i]}, teacher));
        }
    }

    private ModelRegistry() {
    }

    private static void imagenet(String name, String teacher, BlockType block, int... depths) {
        MODELS.put(name, new ResNetArchitecture(name, StemShape.IMAGENET, block, depths, teacher));
    }

    /** The architecture registered under {@code name}; a clear error listing the known names otherwise. */
    public static ResNetArchitecture get(String name) {
        ResNetArchitecture architecture = name == null ? null : MODELS.get(name.toLowerCase());
        if (architecture == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: "
                    + String.join(", ", MODELS.keySet()));
        }
        return architecture;
    }

    public static Set<String> names() {
        return Collections.unmodifiableSet(MODELS.keySet());
    }
}
