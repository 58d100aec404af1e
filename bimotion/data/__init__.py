"""Prepared folders: their on-disk contract (:mod:`bimotion.data.layout`) and one way to read them
(:mod:`bimotion.data.reading`)."""
