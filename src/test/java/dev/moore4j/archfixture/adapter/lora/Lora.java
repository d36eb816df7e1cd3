package dev.moore4j.archfixture.adapter.lora;

import dev.moore4j.archfixture.adapter.Method;

/** A method of the fixture. */
public class Lora implements Method {}
