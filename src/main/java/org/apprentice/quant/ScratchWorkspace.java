package org.apprentice.quant;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A reused arena for a weight quantizer's temporaries (forward and gradients), which are as large as the layer's
 * weights: allocating and zeroing a fresh array per intermediate result cost more than the arithmetic on large
 * layers.
 * Whatever must outlive the scope is assigned to an array made outside it before it closes.
 */
final class ScratchWorkspace {
    private static final String ID = "APPRENTICE_WEIGHT_QUANTIZER";
    private static final WorkspaceConfiguration CONFIGURATION = WorkspaceConfiguration.builder()
            .initialSize(0).policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.2)
            .policyLearning(LearningPolicy.FIRST_LOOP).policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE).build();

    private ScratchWorkspace() {
    }

    /** Opens the arena for this thread; close it (try-with-resources) when the temporaries are done. */
    static MemoryWorkspace open() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIGURATION, ID);
    }
}
