"""Prepared folders: their on-disk contract (:mod:`bimotion.data.layout`), the exclusive, atomic way
to publish one (:mod:`bimotion.data.publish`) and the one way to read them
(:mod:`bimotion.data.reading`)."""
