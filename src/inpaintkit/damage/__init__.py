"""Old-photo damage: synthesis (:mod:`.synth`), the detector network (:mod:`.detector`) and its training (:mod:`.train`)."""
