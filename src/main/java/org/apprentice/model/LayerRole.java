package org.apprentice.model;

/** Where a weighted layer sits: the paper keeps the first and last layers in full precision. */
public enum LayerRole {
    FIRST, BODY, LAST
}
