package dev.moore4j.task;

/** Which part of a task's data to read: the training split, or the split a run is scored on. */
public enum Split {
    TRAIN, EVAL
}
