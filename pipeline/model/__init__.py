"""Stage 4, the model: paragraph features, the classifier, training, evaluation, model directories, batch
classification and the choice of paragraphs to annotate next."""
