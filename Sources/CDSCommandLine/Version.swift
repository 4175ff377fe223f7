/// The version `cds --version` and `cds hooks serve --version` print.
package let cdsVersion = "0.1.0"
